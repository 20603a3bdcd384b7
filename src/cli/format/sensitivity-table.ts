import type { DataSetInfo } from '../../engine/data/datasets.ts';
import type { SensitivityResult } from '../../engine/techniques/prune/sensitivity.ts';
import { percent } from './units.ts';

/** `complab sensitivity`'s table: one row per density, one column per layer. */
export function formatSensitivityTable(
  result: SensitivityResult,
  digits: 'test' | 'check',
  data: DataSetInfo,
): string {
  const split = digits === 'test' ? data.splits.test : data.splits.validation;
  const images = `${split.count.toLocaleString('en-US')} ${digits === 'test' ? 'test' : 'validation'} images of ${data.id}`;
  const all = [...new Set(result.layers.flatMap((l) => l.points.map((p) => p.density)))].sort(
    (a, b) => b - a,
  );
  return [
    `accuracy on the ${images}, one layer pruned at a time; base ${percent(result.baseAccuracy)}`,
    `density   ${result.layers.map((l) => l.name.padStart(9)).join(' ')}`,
    ...all.map(
      (d) =>
        `${d.toFixed(2).padStart(7)}   ${result.layers
          .map((l) => {
            const point = l.points.find((p) => p.density === d);
            return (point ? percent(point.accuracy) : '').padStart(9);
          })
          .join(' ')}`,
    ),
  ].join('\n');
}
