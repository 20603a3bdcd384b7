import { useState } from 'react';
import { formatStep, type RecipeStep } from '../../engine/recipe/recipe.ts';
import { PRESETS } from '../../engine/techniques/presets.ts';
import { applyPreset } from '../../store/actions.ts';
import { asSentence } from '../format.ts';
import { useDispatch, useLab, useSession } from '../store-context.tsx';

type Preview =
  | { readonly state: 'none' }
  | { readonly state: 'loading'; readonly preset: string }
  | {
      readonly state: 'ready';
      readonly preset: string;
      readonly model: string;
      readonly steps: readonly RecipeStep[];
    }
  | { readonly state: 'error'; readonly preset: string; readonly message: string };

/**
 * Presets from the papers, expanded by the engine for the current model and shown as the steps
 * they become before they replace the recipe.
 */
export function PresetMenu() {
  const model = useLab((s) => s.recipe.model);
  const session = useSession();
  const dispatch = useDispatch();
  const [preview, setPreview] = useState<Preview>({ state: 'none' });
  const choose = async (preset: string) => {
    if (!preset || !session) {
      setPreview({ state: 'none' });
      return;
    }
    setPreview({ state: 'loading', preset });
    const outcome = await session.expandPreset(model, preset);
    setPreview((current) => {
      if (current.state !== 'loading' || current.preset !== preset) return current;
      return outcome.ok
        ? { state: 'ready', preset, model, steps: outcome.steps }
        : { state: 'error', preset, message: outcome.error.message };
    });
  };
  const chosen =
    preview.state === 'none' ? undefined : PRESETS.find((p) => p.id === preview.preset);

  return (
    <div className="field presets">
      <label htmlFor="preset-picker">Presets from the papers</label>
      <select
        id="preset-picker"
        data-testid="preset-picker"
        value={preview.state === 'none' ? '' : preview.preset}
        onChange={(e) => void choose(e.target.value)}
      >
        <option value="">Choose a preset…</option>
        {PRESETS.map((p) => (
          <option key={p.id} value={p.id}>
            {p.label}
          </option>
        ))}
      </select>
      {chosen ? (
        <div className="preset-preview" data-testid="preset-preview">
          <p className="hint">
            {chosen.description} <em>{chosen.paper}.</em>
          </p>
          {preview.state === 'loading' ? <p className="hint">Expanding for {model}…</p> : null}
          {preview.state === 'error' ? (
            <p className="hint error-text">{asSentence(preview.message)}</p>
          ) : null}
          {preview.state === 'ready' ? (
            <>
              <p className="hint">For {preview.model} it becomes:</p>
              <ol className="mono preset-steps" data-testid="preset-steps">
                {preview.steps.map((s, i) => (
                  <li key={i}>{formatStep(s)}</li>
                ))}
              </ol>
              <div className="button-row">
                <button
                  type="button"
                  data-testid="preset-apply"
                  disabled={preview.model !== model}
                  onClick={() => {
                    dispatch(applyPreset, preview.steps);
                    // The same steps as a cancelled run: start it again.
                    session?.runIfStopped();
                    setPreview({ state: 'none' });
                  }}
                >
                  Use these steps
                </button>
                <button
                  type="button"
                  className="quiet"
                  onClick={() => setPreview({ state: 'none' })}
                >
                  Cancel
                </button>
              </div>
            </>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
