/** `complab compare`'s text: the paired line, the per-class table, and the first flips. */
import type { RunComparison } from '../../engine/compare/compare-runs.ts';
import { byTruthChange, type Flip } from '../../engine/compare/flips.ts';
import type { DataSetInfo } from '../../engine/data/datasets.ts';
import { formatPaired, formatPointDifference } from '../../engine/stats/paired-text.ts';
import { percent } from './units.ts';

/** Flips of each kind listed; the rest are counted (all of them are in --json). */
export const FLIPS_SHOWN = 10;

const count = (n: number) => n.toLocaleString('en-US');

function flipLines(title: string, flips: readonly Flip[], classNames: readonly string[]) {
  if (flips.length === 0) return [];
  const name = (c: number) => classNames[c] ?? String(c);
  const rows = flips.slice(0, FLIPS_SHOWN).map((f) => {
    const truth =
      f.truthA === undefined || f.truthB === undefined
        ? ''
        : `${f.truthA.toFixed(2)} -> ${f.truthB.toFixed(2)}`;
    return `  ${String(f.index).padStart(6)}  ${name(f.label).padEnd(12)} ${name(f.a).padEnd(12)} ${name(f.b).padEnd(12)} ${truth}`;
  });
  const more =
    flips.length > FLIPS_SHOWN ? [`  ... ${count(flips.length - FLIPS_SHOWN)} more`] : [];
  return [
    title,
    `  ${'image'.padStart(6)}  ${'label'.padEnd(12)} ${'a'.padEnd(12)} ${'b'.padEnd(12)} p(label) a -> b`,
    ...rows,
    ...more,
  ];
}

export function formatComparison(
  data: DataSetInfo,
  recipes: { readonly a: string; readonly b: string },
  comparison: RunComparison,
): string {
  const { a, b, paired } = comparison;
  const accuracy = (run: typeof a) =>
    `${percent(run.correct / run.total)} (${run.correct}/${run.total})`;
  const header = [
    `data    ${data.id} (${data.name}), ${count(a.total)} test images`,
    `a       ${recipes.a}`,
    `        ${accuracy(a)}`,
    `b       ${recipes.b}`,
    `        ${accuracy(b)}`,
    // The same images, one by one: what b gets wrong that a got right, and the reverse.
    `b vs a  ${formatPaired(paired, a.total)}`,
  ];
  const width = Math.max(5, ...data.classNames.map((n) => n.length));
  const classRows = comparison.perClass.map(
    (c) =>
      `  ${(data.classNames[c.classIndex] ?? String(c.classIndex)).padEnd(width)}  ${count(c.count).padStart(6)}  ${percent(c.accuracyA).padStart(7)}  ${percent(c.accuracyB).padStart(7)}  ${formatPointDifference(100 * c.change).padStart(10)}`,
  );
  const other = comparison.flips.length - comparison.lost.length - comparison.gained.length;
  // Lost: the true class's probability fell most first; gained: it rose most first.
  const lost = byTruthChange(comparison.lost);
  const gained = byTruthChange(comparison.gained, 'rise');
  return [
    ...header,
    '',
    'per class, the largest loss first:',
    `  ${'class'.padEnd(width)}  ${'images'.padStart(6)}  ${'a'.padStart(7)}  ${'b'.padStart(7)}  ${'change'.padStart(10)}`,
    ...classRows,
    '',
    `flips   ${count(comparison.flips.length)} images answered differently: ${count(comparison.lost.length)} lost (a right, b wrong), ${count(comparison.gained.length)} gained (a wrong, b right), ${count(other)} wrong in both`,
    ...flipLines(
      'lost, the largest drop in the probability of the label first:',
      lost,
      data.classNames,
    ),
    ...flipLines('gained, the largest rise first:', gained, data.classNames),
  ].join('\n');
}
