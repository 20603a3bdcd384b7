/**
 * A comparison as CSV files for a spreadsheet or a paper's figure (RFC 4180: CRLF line ends,
 * a field with a comma, a quote or a line break quoted, quotes doubled): the per-class figures
 * in class order, and the flips in split order. The same in the page and the CLI.
 */
import type { RunComparison } from './compare-runs.ts';
import { flipKind, truthChange } from './flips.ts';

export const PER_CLASS_CSV_COLUMNS = [
  'class',
  'name',
  'images',
  'correctA',
  'correctB',
  'accuracyA',
  'accuracyB',
  'change',
] as const;

export const FLIPS_CSV_COLUMNS = [
  'index',
  'label',
  'labelName',
  'a',
  'aName',
  'b',
  'bName',
  'kind',
  'truthA',
  'truthB',
  'truthChange',
] as const;

function csvField(value: string | number | undefined): string {
  const text = value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const csv = (header: readonly string[], rows: (string | number | undefined)[][]) =>
  [header.join(','), ...rows.map((row) => row.map(csvField).join(','))].join('\r\n') + '\r\n';

/**
 * A fraction to `digits` decimals, trailing zeros dropped: accuracies to 6 (a millionth of the
 * test split), probabilities to 4 (enough to tell 8-bit steps of 1/255 apart).
 */
const fixed = (x: number, digits: number) => Number(x.toFixed(digits));

const nameOf = (classNames: readonly string[], c: number) => classNames[c] ?? String(c);

/** One row per class, in class order: its test images, right answers and accuracy in a and b. */
export function perClassCsv(comparison: RunComparison, classNames: readonly string[]): string {
  const rows = [...comparison.perClass]
    .sort((x, y) => x.classIndex - y.classIndex)
    .map((c) => [
      c.classIndex,
      nameOf(classNames, c.classIndex),
      c.count,
      c.correctA,
      c.correctB,
      fixed(c.accuracyA, 6),
      fixed(c.accuracyB, 6),
      fixed(c.change, 6),
    ]);
  return csv(PER_CLASS_CSV_COLUMNS, rows);
}

/**
 * One row per image whose prediction changed, in split order: its label, both predictions (as
 * numbers and names), lost / gained / other, and the true class's probability in a and b and
 * its change (as kept, in steps of 1/255; empty for a run recorded without them).
 */
export function flipsCsv(comparison: RunComparison, classNames: readonly string[]): string {
  const rows = comparison.flips.map((f) => {
    const change = truthChange(f);
    return [
      f.index,
      f.label,
      nameOf(classNames, f.label),
      f.a,
      nameOf(classNames, f.a),
      f.b,
      nameOf(classNames, f.b),
      flipKind(f),
      f.truthA === undefined ? undefined : fixed(f.truthA, 4),
      f.truthB === undefined ? undefined : fixed(f.truthB, 4),
      Number.isNaN(change) ? undefined : fixed(change, 4),
    ];
  });
  return csv(FLIPS_CSV_COLUMNS, rows);
}
