/**
 * How a paired comparison reads, the same in the page and the CLI:
 * "-0.12 pt (12 lost, 0 gained; p = 0.0005)". Points are percentage points of accuracy on the
 * shared test images; `p` is McNemar's exact two-sided p-value (stats/mcnemar.ts).
 */
import type { PairedComparison } from './mcnemar.ts';

/** Below this a p-value reads "p < 0.0001": more digits would claim a precision nobody needs. */
const SMALLEST_SHOWN_P = 0.0001;

/**
 * A p-value as text: two significant digits ("0.042", "0.50"), one below 0.001 ("0.0005"),
 * "< 0.0001" below that, and "1" for a difference of nothing at all.
 */
export function formatPValue(p: number): string {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`a p-value lies in [0, 1], not ${p}`);
  if (p < SMALLEST_SHOWN_P) return '< 0.0001';
  if (p === 1) return '= 1';
  const digits = Number(p.toPrecision(p < 0.001 ? 1 : 2));
  return `= ${digits.toString()}`;
}

/** An accuracy difference in points with its sign ("+0.05 pt", "-0.12 pt", "0.00 pt"). */
export function formatPointDifference(points: number): string {
  const rounded = Math.round(points * 100) / 100;
  if (rounded === 0) return '0.00 pt';
  return `${rounded > 0 ? '+' : '-'}${Math.abs(rounded).toFixed(2)} pt`;
}

/**
 * The paired line of a candidate against its baseline on `total` shared images:
 * the accuracy difference, the images lost and gained, and the p-value.
 */
export function formatPaired(paired: PairedComparison, total: number): string {
  if (!Number.isInteger(total) || total <= 0) {
    throw new RangeError(`a paired comparison covers at least one image, not ${total}`);
  }
  const points = ((paired.gained - paired.lost) / total) * 100;
  return `${formatPointDifference(points)} (${paired.lost.toLocaleString('en-US')} lost, ${paired.gained.toLocaleString('en-US')} gained; p ${formatPValue(paired.pValue)})`;
}
