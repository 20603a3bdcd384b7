/**
 * A data set's test split in the page itself (the worker holds its own copy for running): the
 * behaviour view needs the true classes to compare two runs' answers and the images to draw the
 * flips. Each data set's split loads once (checked against its pinned checksums) and is kept;
 * a load that fails is forgotten so the next asks again.
 */
import { httpAssetReader } from '../../engine/assets.ts';
import type { DataSetId } from '../../engine/data/datasets.ts';
import type { DigitSplit } from '../../engine/data/digits.ts';
import { DataSets } from '../../engine/data/load.ts';

let dataSets: DataSets | null = null;
const splits = new Map<DataSetId, Promise<DigitSplit>>();

export function loadTestSplit(data: DataSetId): Promise<DigitSplit> {
  let pending = splits.get(data);
  if (!pending) {
    dataSets ??= new DataSets(
      httpAssetReader(new URL(import.meta.env.BASE_URL, window.location.href).href),
    );
    pending = dataSets.get(data).then((set) => set.split('test'));
    splits.set(data, pending);
    pending.catch(() => splits.delete(data));
  }
  return pending;
}
