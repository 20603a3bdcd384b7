import { formatStep, isIdentityStep, type RecipeStep } from '../../engine/recipe/recipe.ts';
import { techniqueSpec } from '../../engine/techniques/catalog.ts';
import { trainingParams } from '../../engine/techniques/train/training-params.ts';
import type { ParamSpec } from '../../engine/techniques/technique.ts';
import { isHidden, moveStep, removeStep } from '../../store/actions.ts';
import { recipeTextOf, runnableIndex } from '../../store/state.ts';
import { asSentence } from '../format.ts';
import { useDispatch, useLab } from '../store-context.tsx';
import { ParamControl } from './ParamControls.tsx';

/** Training settings every training step shares; all but epochs and rate sit behind "more". */
const SHARED_TRAINING = new Set(
  trainingParams({ epochs: 1, lr: 0.001 })
    .map((p) => p.name)
    .filter((name) => name !== 'epochs' && name !== 'lr'),
);

/** The error of the current recipe's run, when it names this step ("step 2 (finetune): …"). */
function useStepError(index: number): string | null {
  return useLab((s) => {
    const status = s.runStatus;
    if (status.phase !== 'error' || status.recipeText !== recipeTextOf(s.recipe)) return null;
    const match = /^step (\d+) \(/.exec(status.message);
    const at = runnableIndex(s.recipe, index);
    return match && at !== null && Number(match[1]) === at + 1 ? status.message : null;
  });
}

export function StepCard({
  index,
  stepKey,
  step,
  count,
}: {
  index: number;
  stepKey: number;
  step: RecipeStep;
  count: number;
}) {
  const dispatch = useDispatch();
  const spec = techniqueSpec(step.technique);
  const controlsHidden = useLab((s) => isHidden(s, step.technique));
  const stepsLocked = useLab((s) => isHidden(s, 'steps'));
  const number = useLab((s) => runnableIndex(s.recipe, index));
  const error = useStepError(index);
  const skipped = isIdentityStep(step);
  const idBase = `step-${stepKey}`;
  const title = spec.label;
  // Two steps may share a technique: controls name the step by its number too.
  const name = `${number === null ? 'skipped step' : `step ${number + 1}`}, ${title},`;
  const main = spec.params.filter((p) => !SHARED_TRAINING.has(p.name));
  const more = spec.params.filter((p) => SHARED_TRAINING.has(p.name));
  const control = (p: ParamSpec) => (
    <ParamControl key={p.name} index={index} idBase={idBase} spec={p} value={step.params[p.name]} />
  );

  return (
    <li
      className={`step-card${skipped ? ' skipped' : ''}${error ? ' failed' : ''}`}
      data-testid={`step-${index}`}
      data-technique={step.technique}
    >
      <fieldset aria-describedby={`${idBase}-about`}>
        <legend className="visually-hidden">
          {number === null ? 'Skipped step' : `Step ${number + 1}`}: {title}
        </legend>
        <div className="step-head">
          <span className="step-title">
            <span className="step-number" aria-hidden="true">
              {number === null ? '–' : number + 1}
            </span>
            <span aria-hidden="true">{title}</span>
            {spec.trains ? <span className="badge">trains</span> : null}
          </span>
          {!stepsLocked ? (
            <span className="step-actions">
              <button
                type="button"
                className="quiet small"
                aria-label={`Move ${name} up`}
                title="Move up"
                disabled={index === 0}
                onClick={() => dispatch(moveStep, index, -1)}
              >
                ↑
              </button>
              <button
                type="button"
                className="quiet small"
                aria-label={`Move ${name} down`}
                title="Move down"
                disabled={index === count - 1}
                onClick={() => dispatch(moveStep, index, 1)}
              >
                ↓
              </button>
              <button
                type="button"
                className="quiet small"
                data-testid={`step-${index}-remove`}
                aria-label={`Remove ${name.slice(0, -1)}`}
                title="Remove"
                onClick={() => dispatch(removeStep, index)}
              >
                ✕
              </button>
            </span>
          ) : null}
        </div>
        <p className="hint" id={`${idBase}-about`}>
          {spec.description}
        </p>
        {skipped ? (
          <p className="hint skip-note" data-testid={`step-${index}-skipped`}>
            At these settings the step changes nothing, so it is skipped.
          </p>
        ) : null}
        {error ? (
          <p className="hint error-text" data-testid={`step-${index}-error`}>
            {asSentence(error)}
          </p>
        ) : null}
        {controlsHidden ? (
          <p className="mono step-text">{formatStep(step)}</p>
        ) : (
          <>
            {main.map(control)}
            {more.length ? (
              <details className="more-params">
                <summary>Training options</summary>
                {more.map(control)}
              </details>
            ) : null}
          </>
        )}
      </fieldset>
    </li>
  );
}
