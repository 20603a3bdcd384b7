import { useState } from 'react';
import { MAX_SEED } from '../../engine/recipe/recipe.ts';
import { setSeed } from '../../store/actions.ts';
import { useDispatch, useLab } from '../store-context.tsx';

export function SeedField() {
  const seed = useLab((s) => s.recipe.seed);
  const dispatch = useDispatch();
  // The text being typed; null while it mirrors the store (so links and history update it).
  const [draft, setDraft] = useState<string | null>(null);
  const text = draft ?? String(seed);
  const valid = /^\d+$/.test(text) && Number(text) <= MAX_SEED;

  return (
    <div className="field">
      <label htmlFor="seed-field">Seed</label>
      <input
        id="seed-field"
        data-testid="seed-field"
        inputMode="numeric"
        value={text}
        aria-invalid={!valid}
        aria-describedby="seed-hint"
        onChange={(e) => {
          const next = e.target.value.trim();
          setDraft(next);
          if (/^\d+$/.test(next) && Number(next) <= MAX_SEED) dispatch(setSeed, Number(next));
        }}
        onBlur={() => setDraft(null)}
      />
      <p className={valid ? 'hint' : 'hint error-text'} id="seed-hint">
        {valid
          ? 'Decides every random choice a recipe makes: the same seed gives the same numbers.'
          : `Enter a whole number from 0 to ${MAX_SEED}.`}
      </p>
    </div>
  );
}
