/**
 * The test images whose prediction changed from run A to run B ("flips"), with how sure each run
 * was of the true class, split into those B lost (A right, B wrong) and gained (A wrong, B right).
 */
import type { PredictionConfidence } from '../measure/accuracy.ts';

export interface Flip {
  /** The image's place in the test split. */
  readonly index: number;
  /** Its true class. */
  readonly label: number;
  /** The class A predicts, and B. */
  readonly a: number;
  readonly b: number;
  /**
   * The probability each run gives the true class (from its 8 bits, so in steps of 1/255);
   * absent where a run was recorded without confidences.
   */
  readonly truthA?: number;
  readonly truthB?: number;
}

export type FlipKind = 'lost' | 'gained' | 'other';

/** lost: A right, B wrong; gained: A wrong, B right; other: both wrong, differently. */
export function flipKind(flip: Pick<Flip, 'label' | 'a' | 'b'>): FlipKind {
  if (flip.a === flip.label) return 'lost';
  if (flip.b === flip.label) return 'gained';
  return 'other';
}

/** Every image A and B answer differently, in split order. */
export function findFlips(
  labels: ArrayLike<number>,
  predictedA: ArrayLike<number>,
  predictedB: ArrayLike<number>,
  confidenceA?: PredictionConfidence,
  confidenceB?: PredictionConfidence,
): Flip[] {
  const flips: Flip[] = [];
  for (let i = 0; i < labels.length; i++) {
    if (predictedA[i] === predictedB[i]) continue;
    const flip: Flip = { index: i, label: labels[i], a: predictedA[i], b: predictedB[i] };
    flips.push(
      confidenceA && confidenceB
        ? { ...flip, truthA: confidenceA.truth[i] / 255, truthB: confidenceB.truth[i] / 255 }
        : flip,
    );
  }
  return flips;
}

/** The change in the true class's probability from A to B (NaN without confidences). */
export const truthChange = (flip: Flip): number =>
  flip.truthA === undefined || flip.truthB === undefined ? NaN : flip.truthB - flip.truthA;

/**
 * Flips sorted by the change in the true class's probability: the largest drop first, or with
 * `first = 'rise'` the largest rise first (ties, and flips without confidences after all the
 * others, in split order); a new array.
 */
export function byTruthChange(flips: readonly Flip[], first: 'drop' | 'rise' = 'drop'): Flip[] {
  const sign = first === 'drop' ? 1 : -1;
  const key = (flip: Flip) => {
    const change = truthChange(flip);
    return Number.isNaN(change) ? Infinity : sign * change;
  };
  return [...flips].sort((x, y) => key(x) - key(y) || x.index - y.index);
}
