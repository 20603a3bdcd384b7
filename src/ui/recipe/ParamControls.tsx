/**
 * One control per declared parameter type: a slider for numbers (percent display, log scale for
 * learning rates), a number field for integers, a checkbox, a select for choices and a per-layer
 * editor with one slider per conv/dense layer. Every edit goes through a pure store action that
 * keeps the value on its grid and in its range.
 */
import { useState } from 'react';
import type {
  BooleanParamSpec,
  ChoiceParamSpec,
  IntegerParamSpec,
  NumberParamSpec,
  ParamSpec,
  ParamValue,
  PerLayerParamSpec,
  PerLayerValue,
} from '../../engine/techniques/technique.ts';
import { layerValue, setStepLayerValue, setStepParam } from '../../store/actions.ts';
import { formatParamValue, formatShape } from '../format.ts';
import { logGrid, nearestLogPosition } from './log-grid.ts';
import { useDispatch, useLab } from '../store-context.tsx';

interface ControlProps<S extends ParamSpec> {
  /** Position of the step in the editor (actions and test ids use it). */
  readonly index: number;
  /** DOM id prefix, stable while the step moves. */
  readonly idBase: string;
  readonly spec: S;
  readonly value: ParamValue;
}

const testIdOf = (index: number, name: string) => `step-${index}-${name}`;

function SliderRow(props: {
  id: string;
  testId: string;
  label: string;
  shown: string;
  description: string;
  children: React.ReactNode;
}) {
  return (
    <div className="field slider-field">
      <div className="slider-label">
        <label htmlFor={props.id}>{props.label}</label>
        <output htmlFor={props.id} data-testid={`${props.testId}-value`}>
          {props.shown}
        </output>
      </div>
      {props.children}
      <p className="hint" id={`${props.id}-hint`}>
        {props.description}
      </p>
    </div>
  );
}

function NumberControl({ index, idBase, spec, value }: ControlProps<NumberParamSpec>) {
  const dispatch = useDispatch();
  const v = value as number;
  const id = `${idBase}-${spec.name}`;
  const testId = testIdOf(index, spec.name);
  const shown = formatParamValue(spec, v);
  if (spec.log) {
    const grid = logGrid(spec.min, spec.max, spec.step);
    return (
      <SliderRow {...{ id, testId, shown, label: spec.label, description: spec.description }}>
        <input
          id={id}
          type="range"
          data-testid={testId}
          min={0}
          max={grid.length - 1}
          step={1}
          value={nearestLogPosition(grid, v)}
          aria-valuetext={shown}
          aria-describedby={`${id}-hint`}
          onChange={(e) => dispatch(setStepParam, index, spec.name, grid[Number(e.target.value)])}
        />
      </SliderRow>
    );
  }
  return (
    <SliderRow {...{ id, testId, shown, label: spec.label, description: spec.description }}>
      <input
        id={id}
        type="range"
        data-testid={testId}
        min={spec.min}
        max={spec.max}
        step={spec.step}
        value={v}
        aria-valuetext={shown}
        aria-describedby={`${id}-hint`}
        onChange={(e) => dispatch(setStepParam, index, spec.name, Number(e.target.value))}
      />
    </SliderRow>
  );
}

function IntegerControl({ index, idBase, spec, value }: ControlProps<IntegerParamSpec>) {
  const dispatch = useDispatch();
  // The text being typed; null while it mirrors the store.
  const [draft, setDraft] = useState<string | null>(null);
  const id = `${idBase}-${spec.name}`;
  const text = draft ?? String(value);
  const n = Number(text);
  const valid = /^\d+$/.test(text.trim()) && n >= spec.min && n <= spec.max;
  return (
    <div className="field inline-field">
      <label htmlFor={id}>{spec.label}</label>
      <input
        id={id}
        type="number"
        inputMode="numeric"
        data-testid={testIdOf(index, spec.name)}
        min={spec.min}
        max={spec.max}
        step={1}
        value={text}
        aria-invalid={!valid}
        aria-describedby={`${id}-hint`}
        onChange={(e) => {
          const next = e.target.value;
          setDraft(next);
          if (/^\d+$/.test(next.trim())) dispatch(setStepParam, index, spec.name, Number(next));
        }}
        onBlur={() => setDraft(null)}
      />
      <p className={valid ? 'hint' : 'hint error-text'} id={`${id}-hint`}>
        {valid
          ? spec.description
          : `Enter a whole number from ${spec.min} to ${spec.max}; the step uses ${String(value)}.`}
      </p>
    </div>
  );
}

function BooleanControl({ index, idBase, spec, value }: ControlProps<BooleanParamSpec>) {
  const dispatch = useDispatch();
  const id = `${idBase}-${spec.name}`;
  return (
    <div className="field check-field">
      <label htmlFor={id}>
        <input
          id={id}
          type="checkbox"
          data-testid={testIdOf(index, spec.name)}
          checked={value as boolean}
          aria-describedby={`${id}-hint`}
          onChange={(e) => dispatch(setStepParam, index, spec.name, e.target.checked)}
        />{' '}
        {spec.label}
      </label>
      <p className="hint" id={`${id}-hint`}>
        {spec.description}
      </p>
    </div>
  );
}

function ChoiceControl({ index, idBase, spec, value }: ControlProps<ChoiceParamSpec>) {
  const dispatch = useDispatch();
  const id = `${idBase}-${spec.name}`;
  return (
    <div className="field inline-field">
      <label htmlFor={id}>{spec.label}</label>
      <select
        id={id}
        data-testid={testIdOf(index, spec.name)}
        value={value as string}
        aria-describedby={`${id}-hint`}
        onChange={(e) => dispatch(setStepParam, index, spec.name, e.target.value)}
      >
        {spec.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <p className="hint" id={`${id}-hint`}>
        {spec.description}
      </p>
    </div>
  );
}

const layerKey = (layer: string) => (layer === '*' ? 'other' : layer);

/**
 * One slider per conv/dense layer of the current model, plus "*" for every layer not set on its
 * own. A layer that follows "*" shows that value dimmed; moving its slider gives it its own.
 */
function PerLayerControl({ index, idBase, spec, value }: ControlProps<PerLayerParamSpec>) {
  const dispatch = useDispatch();
  const model = useLab((s) => s.recipe.model);
  const info = useLab((s) => s.models[model]);
  const perLayer = value as PerLayerValue;
  const modelLayers = info?.layers.filter((l) => l.weighted) ?? [];
  const known = new Set(modelLayers.map((l) => l.name));
  const named = Object.keys(perLayer).filter((l) => l !== '*');
  // Layers of the model first (in network order), then any the model lacks (from a link).
  const rows = info
    ? [...modelLayers.map((l) => l.name), ...named.filter((l) => !known.has(l))]
    : named;
  const shapeOf = (layer: string) => modelLayers.find((l) => l.name === layer)?.kernelShape;
  const set = (layer: string, v: number | null) =>
    dispatch(setStepLayerValue, index, spec.name, layer, v);

  const row = (layer: string) => {
    const { value: v, own } = layerValue(perLayer, layer);
    const id = `${idBase}-${spec.name}-${layerKey(layer)}`;
    const testId = `${testIdOf(index, spec.name)}-${layerKey(layer)}`;
    const missing = layer !== '*' && info !== undefined && !known.has(layer);
    const name = layer === '*' ? 'Other layers' : layer;
    return (
      <li key={layer} className={own || layer === '*' ? 'layer-row own' : 'layer-row'}>
        <div className="slider-label">
          <label htmlFor={id}>
            {name}
            {layer !== '*' && shapeOf(layer) ? (
              <span className="shape"> {formatShape(shapeOf(layer))}</span>
            ) : null}
          </label>
          <output htmlFor={id} data-testid={`${testId}-value`}>
            {v === undefined ? 'unchanged' : formatParamValue(spec, v)}
            {layer !== '*' && !own && v !== undefined ? ' (as other layers)' : ''}
          </output>
        </div>
        {missing ? (
          <p className="hint error-text" data-testid={`${testId}-missing`}>
            {model} has no conv or dense layer “{layer}”.{' '}
            <button type="button" className="quiet" onClick={() => set(layer, null)}>
              Remove it
            </button>
          </p>
        ) : (
          <div className="layer-slider">
            <input
              id={id}
              type="range"
              data-testid={testId}
              min={spec.min}
              max={spec.max}
              step={spec.step}
              value={v ?? spec.max}
              aria-valuetext={v === undefined ? 'unchanged' : formatParamValue(spec, v)}
              onChange={(e) => set(layer, Number(e.target.value))}
            />
            {layer !== '*' && own ? (
              <button
                type="button"
                className="quiet small"
                data-testid={`${testId}-reset`}
                aria-label={`${name}: use the value of the other layers`}
                title="Use the value of the other layers"
                onClick={() => set(layer, null)}
              >
                ×
              </button>
            ) : null}
          </div>
        )}
      </li>
    );
  };

  return (
    <fieldset className="field per-layer" data-testid={testIdOf(index, spec.name)}>
      <legend>{spec.label}</legend>
      <p className="hint">{spec.description}</p>
      <ul className="layer-list">
        {row('*')}
        {rows.map(row)}
      </ul>
      {!info ? <p className="hint">Loading the layers of {model}…</p> : null}
    </fieldset>
  );
}

export function ParamControl(props: ControlProps<ParamSpec>) {
  const { spec } = props;
  switch (spec.type) {
    case 'number':
      return <NumberControl {...props} spec={spec} />;
    case 'integer':
      return <IntegerControl {...props} spec={spec} />;
    case 'boolean':
      return <BooleanControl {...props} spec={spec} />;
    case 'choice':
      return <ChoiceControl {...props} spec={spec} />;
    case 'perLayer':
      return <PerLayerControl {...props} spec={spec} />;
  }
}
