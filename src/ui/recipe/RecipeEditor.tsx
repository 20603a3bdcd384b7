import { useState } from 'react';
import { formatSteps, MAX_STEPS } from '../../engine/recipe/recipe.ts';
import { TECHNIQUE_SPECS } from '../../engine/techniques/catalog.ts';
import type { TechniqueFamily } from '../../engine/techniques/technique.ts';
import { addStep, isHidden } from '../../store/actions.ts';
import { runnableRecipe } from '../../store/state.ts';
import { useDispatch, useLab } from '../store-context.tsx';
import { PresetMenu } from './PresetMenu.tsx';
import { StepCard } from './StepCard.tsx';

const FAMILIES: readonly { id: TechniqueFamily; label: string }[] = [
  { id: 'prune', label: 'Pruning' },
  { id: 'train', label: 'Training' },
  { id: 'quantize', label: 'Quantization' },
  { id: 'decompose', label: 'Decomposition' },
  { id: 'encode', label: 'Storage' },
];

/** Picks a technique, grouped by family, with its description, and appends it as a step. */
function AddStep() {
  const dispatch = useDispatch();
  const full = useLab((s) => s.recipe.steps.length >= MAX_STEPS);
  const [technique, setTechnique] = useState('finetune');
  const spec = TECHNIQUE_SPECS.find((t) => t.id === technique);
  return (
    <div className="field add-step">
      <label htmlFor="add-step-picker">Add a step</label>
      <div className="button-row">
        <select
          id="add-step-picker"
          data-testid="add-step-picker"
          value={technique}
          aria-describedby="add-step-about"
          onChange={(e) => setTechnique(e.target.value)}
        >
          {FAMILIES.map((family) => {
            const members = TECHNIQUE_SPECS.filter((t) => t.family === family.id);
            return members.length ? (
              <optgroup key={family.id} label={family.label}>
                {members.map((t) => (
                  <option key={t.id} value={t.id}>
                    {t.label}
                  </option>
                ))}
              </optgroup>
            ) : null;
          })}
        </select>
        <button
          type="button"
          data-testid="add-step"
          disabled={full}
          onClick={() => dispatch(addStep, technique)}
        >
          Add
        </button>
      </div>
      <p className="hint" id="add-step-about">
        {spec?.description}
        {full ? ` A recipe has at most ${MAX_STEPS} steps.` : ''}
      </p>
    </div>
  );
}

/**
 * The recipe as an ordered list of step cards, each with the controls its technique declares,
 * the preset menu, the technique picker, and the recipe text the link carries.
 */
export function RecipeEditor() {
  const steps = useLab((s) => s.recipe.steps);
  const keys = useLab((s) => s.stepKeys);
  const stepsLocked = useLab((s) => isHidden(s, 'steps'));
  const text = useLab((s) => formatSteps(runnableRecipe(s.recipe).steps));

  return (
    <section className="recipe-editor" aria-labelledby="recipe-title">
      <h2 id="recipe-title">Recipe</h2>
      <p className="hint">Steps run from top to bottom, each on what the one before it left.</p>
      {steps.length === 0 ? (
        <p className="hint" data-testid="no-steps">
          No steps: the model is evaluated as trained.
        </p>
      ) : (
        <ol className="step-list" data-testid="steps">
          {steps.map((step, i) => (
            <StepCard key={keys[i]} index={i} stepKey={keys[i]} step={step} count={steps.length} />
          ))}
        </ol>
      )}
      {!stepsLocked ? (
        <>
          <AddStep />
          <PresetMenu />
        </>
      ) : null}
      <div className="field">
        <span className="label-like" id="recipe-text-label">
          Recipe text
        </span>
        <output
          className="mono recipe-text"
          data-testid="recipe-text"
          aria-labelledby="recipe-text-label"
        >
          {text === '' ? 'none (the baseline)' : text}
        </output>
      </div>
    </section>
  );
}
