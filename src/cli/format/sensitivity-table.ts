import type { SensitivityResult } from '../../engine/techniques/prune/sensitivity.ts';
import { percent } from './units.ts';

/** `complab sensitivity`'s table: one row per density, one column per layer. */
export function formatSensitivityTable(
  result: SensitivityResult,
  digits: 'test' | 'check',
): string {
  const all = [...new Set(result.layers.flatMap((l) => l.points.map((p) => p.density)))].sort(
    (a, b) => b - a,
  );
  return [
    `accuracy on the ${digits === 'test' ? '2,000 test digits' : '2,000 check digits (training digits held apart)'}, one layer pruned at a time; base ${percent(result.baseAccuracy)}`,
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
