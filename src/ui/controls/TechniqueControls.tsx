import type { HideableControl } from '../../engine/recipe/share.ts';
import type {
  NumberParamSpec,
  TechniqueSpec as Technique,
} from '../../engine/techniques/technique.ts';
import { TECHNIQUE_SPECS as TECHNIQUES } from '../../engine/techniques/catalog.ts';
import { setTechniqueParam, techniqueParamValue } from '../../store/actions.ts';
import { useDispatch, useLab } from '../store-context.tsx';

/** Decimal places a parameter's step implies, so 0.9 shows as "0.90" while dragging. */
const decimalsOf = (step: number) => Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));

function formatParam(spec: NumberParamSpec, value: number): string {
  // Fractions read better as percentages: "90 %" rather than "0.90".
  if (spec.min >= 0 && spec.max <= 1 && spec.name.toLowerCase().includes('fraction')) {
    return `${(value * 100).toFixed(Math.max(0, decimalsOf(spec.step) - 2))} %`;
  }
  return value.toFixed(decimalsOf(spec.step));
}

function ParamSlider({ technique, spec }: { technique: Technique; spec: NumberParamSpec }) {
  const value = useLab((s) => techniqueParamValue(s.recipe, technique.id, spec.name) as number);
  const dispatch = useDispatch();
  const id = `${technique.id}-${spec.name}`;
  const testId = technique.params.length === 1 ? `${technique.id}-slider` : `${id}-slider`;
  return (
    <div className="field slider-field">
      <div className="slider-label">
        <label htmlFor={id}>{spec.label}</label>
        <output htmlFor={id} data-testid={`${testId}-value`}>
          {formatParam(spec, value)}
        </output>
      </div>
      <input
        id={id}
        type="range"
        data-testid={testId}
        min={spec.min}
        max={spec.max}
        step={spec.step}
        value={value}
        aria-valuetext={formatParam(spec, value)}
        aria-describedby={`${id}-hint`}
        onChange={(e) =>
          dispatch(setTechniqueParam, technique.id, spec.name, Number(e.target.value))
        }
      />
      <p className="hint" id={`${id}-hint`}>
        {spec.description}
      </p>
    </div>
  );
}

/** One group per registered technique, its sliders drawn from the technique's ParamSpecs. */
export function TechniqueControls() {
  const hidden = useLab((s) => s.ui.hide);
  const visible = TECHNIQUES.filter(
    (t) => t.id === 'prune' && !hidden.includes(t.id as HideableControl),
  );
  if (visible.length === 0) return null;
  return (
    <>
      {visible.map((technique) => (
        <fieldset
          key={technique.id}
          className="technique"
          data-testid={`technique-${technique.id}`}
        >
          <legend>{technique.label}</legend>
          <p className="hint">{technique.description}</p>
          {technique.params.map((spec) =>
            spec.type === 'number' ? (
              <ParamSlider key={spec.name} technique={technique} spec={spec} />
            ) : null,
          )}
        </fieldset>
      ))}
    </>
  );
}
