import { MODEL_GROUPS, SHIPPED_MODELS } from '../../engine/model/catalog.ts';
import { setModel } from '../../store/actions.ts';
import { formatCount, formatPercent } from '../format.ts';
import { useDispatch, useLab } from '../store-context.tsx';

export function ModelPicker() {
  const model = useLab((s) => s.recipe.model);
  const cards = useLab((s) => s.cards);
  const cardsError = useLab((s) => s.cardsError);
  const dispatch = useDispatch();
  const card = cards.find((c) => c.id === model);
  // A link may name a model this build does not ship; keep it selectable so the error shows.
  const unshipped = SHIPPED_MODELS.includes(model as never) ? null : model;
  const option = (id: string) => (
    <option key={id} value={id}>
      {cards.find((c) => c.id === id)?.name ?? id}
    </option>
  );

  return (
    <div className="field">
      <label htmlFor="model-picker">Model</label>
      <select
        id="model-picker"
        data-testid="model-picker"
        value={model}
        onChange={(e) => dispatch(setModel, e.target.value)}
      >
        {MODEL_GROUPS.map((group) => (
          <optgroup key={group.label} label={group.label}>
            {group.ids.map(option)}
          </optgroup>
        ))}
        {unshipped !== null ? option(unshipped) : null}
      </select>
      {card ? (
        <div className="hint" data-testid="model-description">
          <p>{card.description}</p>
          <p className="facts">
            {formatPercent(card.testAccuracy)} test accuracy after {card.epochs} epochs ·{' '}
            {formatCount(card.params)} parameters · {formatCount(card.macs)} MACs per digit
          </p>
        </div>
      ) : cardsError ? (
        <p className="hint error-text">{cardsError}</p>
      ) : null}
    </div>
  );
}
