/**
 * The behaviour view's figures for two runs of the history, React-free: the comparison of their
 * answers image by image (computed once per pair), why a pair has none, the flips the gallery
 * shows, the heat map's cells, and a test image as RGBA pixels for a canvas.
 */
import { compareRuns, type RunComparison } from '../../engine/compare/compare-runs.ts';
import { CompareError, type ComparedTest } from '../../engine/compare/compared-run.ts';
import { byTruthChange, type Flip } from '../../engine/compare/flips.ts';
import type { ConfusionMatrix } from '../../engine/compare/confusion.ts';
import { dataSetOfRun } from '../../store/history-export.ts';
import type { RunRecord } from '../../store/state.ts';

export type PairBehaviour =
  | { readonly ok: true; readonly comparison: RunComparison }
  | {
      readonly ok: false;
      readonly reason: string;
      /** Runs recorded without per-image answers: running their recipe again keeps them. */
      readonly rerun: readonly RunRecord[];
    };

/** The runs of a pair that kept no per-image answers (recorded before they were kept, or imported). */
export const runsWithoutAnswers = (a: RunRecord, b: RunRecord): RunRecord[] =>
  [a, b].filter((run) => run.result.predicted === undefined);

/**
 * Run B against run A on `test` (the test split of A's data set), or the engine's refusal: runs
 * on different data sets (both named), a run without per-image answers (offered a re-run).
 */
export function behaviourOf(test: ComparedTest, a: RunRecord, b: RunRecord): PairBehaviour {
  const compared = (run: RunRecord) => ({
    name: `run ${run.runId}`,
    data: dataSetOfRun(run.result),
    predicted: run.result.predicted,
    confidence: run.result.confidence,
  });
  try {
    return { ok: true, comparison: compareRuns(test, compared(a), compared(b)) };
  } catch (err) {
    if (!(err instanceof CompareError)) throw err;
    const differentData = dataSetOfRun(a.result) !== dataSetOfRun(b.result);
    return { ok: false, reason: err.message, rerun: differentData ? [] : runsWithoutAnswers(a, b) };
  }
}

/**
 * behaviourOf, remembered for the last pair and test split asked (a re-render, or a filter
 * change in the gallery, costs nothing): the runs' answers never change once recorded, so the
 * arrays themselves are the key.
 */
export function memoizedBehaviour(): (
  test: ComparedTest,
  a: RunRecord,
  b: RunRecord,
) => PairBehaviour {
  let last: { keys: readonly unknown[]; value: PairBehaviour } | null = null;
  return (test, a, b) => {
    const keys = [test.labels, test.data, a.runId, b.runId, a.result.predicted, b.result.predicted];
    if (last && last.keys.every((k, i) => k === keys[i])) return last.value;
    const value = behaviourOf(test, a, b);
    last = { keys, value };
    return value;
  };
}

export type FlipTab = 'lost' | 'gained';

export interface GalleryQuery {
  readonly tab: FlipTab;
  /** Only flips of this true class (null: every class). */
  readonly classIndex: number | null;
  /** 'drop': the largest fall in the true class's probability first; 'rise': the largest rise. */
  readonly order: 'drop' | 'rise';
}

/** The flips the gallery shows for `query`, in its order. */
export function galleryFlips(comparison: RunComparison, query: GalleryQuery): Flip[] {
  const flips = query.tab === 'lost' ? comparison.lost : comparison.gained;
  const ofClass =
    query.classIndex === null ? flips : flips.filter((f) => f.label === query.classIndex);
  return byTruthChange(ofClass, query.order);
}

/** Flips of each true class in a tab (index = class), for the filter's counts. */
export function flipsPerClass(flips: readonly Flip[], classCount: number): number[] {
  const counts = new Array<number>(classCount).fill(0);
  for (const f of flips) counts[f.label]++;
  return counts;
}

export interface HeatCell {
  readonly value: number;
  /** 'more': B reads the true class as this one more often than A; 'fewer': less often. */
  readonly sign: 'more' | 'fewer' | 'same';
  /** |value| / the largest |value| off or on the diagonal (0 to 1): the colour's strength. */
  readonly strength: number;
  /** The cell in words, for a screen reader and a tooltip. */
  readonly label: string;
}

/** The confusion difference (B less A) as heat-map cells, row = true class, column = predicted. */
export function heatCells(
  difference: ConfusionMatrix,
  classNames: readonly string[],
  runNames: { a: string; b: string },
): HeatCell[][] {
  const largest = Math.max(0, ...difference.flat().map(Math.abs));
  const name = (c: number) => classNames[c] ?? String(c);
  return difference.map((row, t) =>
    row.map((value, p) => {
      const sign = value > 0 ? 'more' : value < 0 ? 'fewer' : 'same';
      const what = t === p ? `${name(t)} read right` : `${name(t)} read as ${name(p)}`;
      const count = Math.abs(value);
      const label =
        sign === 'same'
          ? `${what}: as often in ${runNames.b} as in ${runNames.a}`
          : `${what}: ${count} ${count === 1 ? 'time' : 'times'} ${sign === 'more' ? 'more' : 'fewer'} in ${runNames.b} than in ${runNames.a}`;
      return { value, sign, strength: largest > 0 ? count / largest : 0, label };
    }),
  );
}

/**
 * A heat-map cell's background: orange for more, blue for fewer, at most 80 % opaque over white
 * so black text on it keeps a contrast of at least 4.5 (WCAG AA) at full strength; none for 0.
 */
export function heatColour(cell: Pick<HeatCell, 'sign' | 'strength'>): string | undefined {
  if (cell.sign === 'same') return undefined;
  const alpha = Number((0.1 + 0.7 * cell.strength).toFixed(3));
  return cell.sign === 'more' ? `rgba(214, 96, 39, ${alpha})` : `rgba(33, 102, 172, ${alpha})`;
}

/**
 * Test image `index` of a split (row-major H x W x C bytes, channels last) as RGBA pixels for a
 * canvas: a gray image repeats its one channel, an RGB one takes its three.
 */
export function imageRgba(
  images: Uint8Array,
  index: number,
  shape: readonly [number, number, number],
): Uint8ClampedArray<ArrayBuffer> {
  const [height, width, channels] = shape;
  if (channels !== 1 && channels !== 3) {
    throw new RangeError(`an image has 1 or 3 channels, not ${channels}`);
  }
  const pixels = height * width;
  const start = index * pixels * channels;
  if (index < 0 || start + pixels * channels > images.length) {
    throw new RangeError(`no test image ${index} in ${images.length / (pixels * channels)}`);
  }
  const rgba = new Uint8ClampedArray(pixels * 4);
  for (let p = 0; p < pixels; p++) {
    const at = start + p * channels;
    rgba[p * 4] = images[at];
    rgba[p * 4 + 1] = images[channels === 3 ? at + 1 : at];
    rgba[p * 4 + 2] = images[channels === 3 ? at + 2 : at];
    rgba[p * 4 + 3] = 255;
  }
  return rgba;
}
