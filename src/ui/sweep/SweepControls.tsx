import { useState } from 'react';
import { dataSetOf, formatStep, type Recipe } from '../../engine/recipe/recipe.ts';
import { findTechniqueSpec } from '../../engine/techniques/catalog.ts';
import type { NumberParamSpec, IntegerParamSpec } from '../../engine/techniques/technique.ts';
import { isHidden } from '../../store/actions.ts';
import { dismissSweepError } from '../../store/sweep.ts';
import { asSentence } from '../format.ts';
import { useDispatch, useLab, useSession } from '../store-context.tsx';

type NumericSpec = NumberParamSpec | IntegerParamSpec;

/** The steps' number parameters a sweep can run over, as (step index, spec) pairs. */
function sweepable(steps: readonly { technique: string }[]) {
  return steps.flatMap((step, stepIndex) =>
    (findTechniqueSpec(step.technique)?.params ?? [])
      .filter((p): p is NumericSpec => p.type === 'number' || p.type === 'integer')
      .map((spec) => ({ stepIndex, technique: step.technique, spec })),
  );
}

/** A fraction parameter is typed in percent, as its slider shows it. */
const inPercent = (spec: NumericSpec) => spec.type === 'number' && spec.percent === true;

function defaultsFor(spec: NumericSpec): { from: string; to: string; step: string } {
  if (inPercent(spec)) return { from: '50', to: '90', step: '10' };
  const span = spec.max - spec.min;
  const step = spec.type === 'integer' ? Math.max(1, Math.round(span / 4)) : span / 4;
  return { from: String(spec.min), to: String(spec.max), step: String(step) };
}

/** The `complab sweep` command that runs the same grid headless (null while a field is empty). */
function headlessCommand(
  recipe: Recipe,
  stepIndex: number,
  param: string,
  range: readonly number[],
): string | null {
  if (!range.every(Number.isFinite)) return null;
  const [from, to, step] = range.map((v) => Number(v.toPrecision(12)));
  const steps = recipe.steps.map((s, i) =>
    i === stepIndex
      ? formatStep(s).replace(
          new RegExp(`([(,])${param}=[^,)]*`),
          `$1${param}=${from}..${to}:${step}`,
        )
      : formatStep(s),
  );
  // The data set always: the CLI's default (mnist) is not what a link without one means.
  return `npx complab sweep --model ${recipe.model} --data ${dataSetOf(recipe)} --seed ${recipe.seed} --grid '${steps.join(';')}' --out runs.jsonl`;
}

/**
 * "Sweep": runs the recipe once per value of one step's number parameter (from, to, step),
 * each run landing in the history and the plot, with "i of n" and Cancel; the curve is drawn
 * beside the results (SweepCurve).
 */
export function SweepControls() {
  const recipe = useLab((s) => s.recipe);
  const steps = recipe.steps;
  const sweep = useLab((s) => s.sweep);
  const error = useLab((s) => s.sweepError);
  const locked = useLab((s) => isHidden(s, 'steps'));
  const dispatch = useDispatch();
  const session = useSession();
  const options = sweepable(steps);
  const [choice, setChoice] = useState('');
  const [range, setRange] = useState<{ from: string; to: string; step: string } | null>(null);
  if (locked || options.length === 0) return null;

  const selected = options.find((o) => `${o.stepIndex}:${o.spec.name}` === choice) ?? options[0];
  const values = range ?? defaultsFor(selected.spec);
  const percent = inPercent(selected.spec);
  const running = sweep?.phase === 'running';
  const unit = percent ? ' (%)' : '';

  const scale = percent ? 100 : 1;
  const read = (text: string) => (text.trim() === '' ? NaN : Number(text) / scale);
  const command = headlessCommand(recipe, selected.stepIndex, selected.spec.name, [
    read(values.from),
    read(values.to),
    read(values.step),
  ]);

  const start = () => {
    dispatch(dismissSweepError);
    session?.sweep({
      stepIndex: selected.stepIndex,
      param: selected.spec.name,
      from: read(values.from),
      to: read(values.to),
      step: read(values.step),
    });
  };
  const field = (key: 'from' | 'to' | 'step', label: string) => (
    <div className="inline-field">
      <label htmlFor={`sweep-${key}`}>
        {label}
        {unit}
      </label>
      <input
        id={`sweep-${key}`}
        data-testid={`sweep-${key}`}
        type="number"
        inputMode="decimal"
        value={values[key]}
        disabled={running}
        onChange={(e) => setRange({ ...values, [key]: e.target.value })}
      />
    </div>
  );

  return (
    <section className="sweep-controls" aria-labelledby="sweep-title" data-testid="sweep-controls">
      <h2 id="sweep-title">Sweep</h2>
      <p className="hint">
        Run the recipe once for each value of one parameter; every run lands in the history and the
        plot, and the curve shows accuracy against the value.
      </p>
      <div className="field">
        <label htmlFor="sweep-param">Parameter</label>
        <select
          id="sweep-param"
          data-testid="sweep-param"
          value={`${selected.stepIndex}:${selected.spec.name}`}
          disabled={running}
          onChange={(e) => {
            setChoice(e.target.value);
            setRange(null);
          }}
        >
          {options.map((o) => (
            <option key={`${o.stepIndex}:${o.spec.name}`} value={`${o.stepIndex}:${o.spec.name}`}>
              Step {o.stepIndex + 1} {o.technique}: {o.spec.label}
            </option>
          ))}
        </select>
      </div>
      <div className="sweep-range">
        {field('from', 'From')}
        {field('to', 'To')}
        {field('step', 'Step')}
      </div>
      <div className="button-row">
        {running ? (
          <>
            <span role="status" data-testid="sweep-progress">
              Run {Math.min(sweep.points.length + 1, sweep.values.length)} of {sweep.values.length}
            </span>
            <progress
              max={sweep.values.length}
              value={sweep.points.length}
              aria-label="Sweep progress"
            />
            <button
              type="button"
              className="secondary"
              data-testid="sweep-cancel"
              onClick={() => session?.cancelSweep()}
            >
              Cancel sweep
            </button>
          </>
        ) : (
          <button type="button" data-testid="sweep-run" disabled={!session} onClick={start}>
            Run sweep
          </button>
        )}
      </div>
      {error ? (
        <p className="error-text" role="alert" data-testid="sweep-error">
          {asSentence(error)}
        </p>
      ) : null}
      {command ? (
        <details className="sweep-headless">
          <summary>The same sweep headless</summary>
          <code className="recipe-text" data-testid="sweep-command">
            {command}
          </code>
        </details>
      ) : null}
      {sweep && sweep.phase !== 'running' && sweep.phase !== 'imported' ? (
        <p className="hint" role="status" data-testid="sweep-outcome" data-phase={sweep.phase}>
          {sweep.phase === 'done'
            ? `Sweep done: ${sweep.points.length} runs.`
            : `${asSentence(sweep.message ?? 'Stopped')}; ${sweep.points.length === 1 ? 'the run done is' : `the ${sweep.points.length} runs done are`} kept.`}
        </p>
      ) : null}
    </section>
  );
}
