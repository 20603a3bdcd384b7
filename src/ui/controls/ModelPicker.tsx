import { dataSetInfo, LEGACY_DATA_SET } from '../../engine/data/datasets.ts';
import { MODEL_GROUPS, SHIPPED_MODELS, cardFor } from '../../engine/model/catalog.ts';
import { USER_MODEL_KIND_LABELS } from '../../engine/model/dropped-files.ts';
import { dataSetOf } from '../../engine/recipe/recipe.ts';
import { modelRunsOn, setModel } from '../../store/actions.ts';
import { formatCount, formatPercent } from '../format.ts';
import { useDispatch, useLab } from '../store-context.tsx';

export function ModelPicker() {
  const model = useLab((s) => s.recipe.model);
  const data = useLab((s) => dataSetOf(s.recipe));
  const cards = useLab((s) => s.cards);
  const cardsError = useLab((s) => s.cardsError);
  const dispatch = useDispatch();
  const userModels = useLab((s) => s.userModels);
  const described = cardFor(cards, model, data);
  const card = described?.card;
  const userModel = userModels.find((m) => m.id === model);
  // A link may name a model this build does not ship; keep it selectable so the error shows.
  const unshipped = SHIPPED_MODELS.includes(model as never) || userModel ? null : model;
  // A model without trained weights for the data set is shown but cannot be chosen.
  const option = (id: string) => {
    const runs = modelRunsOn(id, data);
    return (
      <option key={id} value={id} disabled={!runs && id !== model}>
        {cards.find((c) => c.id === id)?.name ?? id}
        {runs ? '' : ` (not trained on ${dataSetInfo(data).name})`}
      </option>
    );
  };

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
        {userModels.length ? (
          <optgroup label="your models">
            {userModels.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name} (imported)
              </option>
            ))}
          </optgroup>
        ) : null}
        {unshipped !== null ? option(unshipped) : null}
      </select>
      {card ? (
        <div className="hint" data-testid="model-description">
          <p>{card.description}</p>
          <p className="facts">
            {formatPercent(card.testAccuracy)} test accuracy on{' '}
            {dataSetInfo(described.onData ? data : LEGACY_DATA_SET).name} after {card.epochs} epochs
            · {formatCount(card.params)} parameters · {formatCount(card.macs)} MACs per image
          </p>
        </div>
      ) : userModel ? (
        <div className="hint" data-testid="model-description">
          <p>
            Your {USER_MODEL_KIND_LABELS[userModel.kind]} "{userModel.name}", imported into this
            browser
            {userModel.persisted ? '' : ' (kept for this tab only)'}. A link to a run on it opens
            only where this model is imported.
          </p>
          <p className="facts">{formatCount(userModel.params)} parameters</p>
        </div>
      ) : cardsError ? (
        <p className="hint error-text">{cardsError}</p>
      ) : null}
    </div>
  );
}
