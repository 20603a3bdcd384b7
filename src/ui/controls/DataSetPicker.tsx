import { knownDataSets } from '../../engine/data/datasets.ts';
import { dataSetOf } from '../../engine/recipe/recipe.ts';
import { dismissDataNotice, setDataSet } from '../../store/actions.ts';
import { formatBytes, formatCount } from '../format.ts';
import { useDispatch, useLab } from '../store-context.tsx';

/**
 * The data set a recipe trains and measures on. Switching keeps the steps; a model without
 * trained weights for the new set is replaced by one that has them, and the note says so. The
 * hint says what the page downloads: the test split before the first run, the training split
 * only when a step trains.
 */
export function DataSetPicker() {
  const data = useLab((s) => dataSetOf(s.recipe));
  const sizes = useLab((s) => s.dataSizes[data]);
  const notice = useLab((s) => s.dataNotice);
  const dispatch = useDispatch();
  const info = knownDataSets().find((d) => d.id === data);

  return (
    <div className="field">
      <label htmlFor="data-picker">Data set</label>
      <select
        id="data-picker"
        data-testid="data-picker"
        value={data}
        aria-describedby="data-hint"
        onChange={(e) => dispatch(setDataSet, e.target.value)}
      >
        {knownDataSets().map((d) => (
          <option key={d.id} value={d.id}>
            {d.name} · {formatCount(d.splits.test.count)} test images
          </option>
        ))}
      </select>
      {notice ? (
        <p className="hint data-notice" role="status" data-testid="data-notice">
          {notice}{' '}
          <button type="button" className="quiet" onClick={() => dispatch(dismissDataNotice)}>
            Dismiss
          </button>
        </p>
      ) : null}
      <div className="hint" id="data-hint" data-testid="data-description">
        {info ? (
          <p>
            {formatCount(info.splits.train.count)} training,{' '}
            {formatCount(info.splits.validation.count)} validation and{' '}
            {formatCount(info.splits.test.count)} test images; steps choose on the validation
            images, the test images are only for the numbers reported.
          </p>
        ) : null}
        {sizes ? (
          <p className="facts" data-testid="data-download">
            Downloads {formatBytes(sizes.testBytes)} of test images before its first run, and{' '}
            {formatBytes(sizes.trainBytes)} of training images once a step trains.
          </p>
        ) : null}
      </div>
    </div>
  );
}
