/**
 * Seeded stratified sampling of user data into splits: each class is shuffled with the lab's
 * seeded generator (util/random.ts, the same in every JS engine) and cut by the fractions, so
 * the same seed gives the same split, and every split gets at least one image of every class.
 */
import { createRng, shuffleInPlace } from '../../util/random.ts';
import { UserDataError } from './errors.ts';

export interface SplitFractions {
  readonly validation: number;
  readonly test: number;
}

export const DEFAULT_FRACTIONS: SplitFractions = { validation: 0.1, test: 0.1 };

/** Indices of each split, ascending (the source's order). */
export interface StratifiedSplit {
  readonly train: Uint32Array;
  readonly validation: Uint32Array;
  readonly test: Uint32Array;
}

export function checkFractions(fractions: SplitFractions): void {
  const { validation, test } = fractions;
  const ok = (value: number): boolean => Number.isFinite(value) && value > 0 && value < 1;
  if (!ok(validation) || !ok(test) || validation + test >= 1) {
    throw new UserDataError(
      `split fractions validation ${validation} and test ${test} must each be above 0 and ` +
        'leave some images to train on (validation + test < 1)',
    );
  }
}

/**
 * Splits items of classes `labels` into train / validation / test: per class, round(n x fraction)
 * images (at least 1) go to validation and to test, the rest to train. A class with fewer than
 * three images cannot be in all three and is refused by name. With `fractions.test` 0 (a test
 * split given by the user) only validation is cut, and a class needs two images.
 */
export function stratifiedSplit(
  labels: Uint8Array,
  classNames: readonly string[],
  fractions: { readonly validation: number; readonly test: number },
  seed: number,
  source: string,
): StratifiedSplit {
  const byClass: number[][] = classNames.map(() => []);
  labels.forEach((label, index) => byClass[label].push(index));
  const parts = fractions.test > 0 ? 3 : 2;
  const assignment = new Uint8Array(labels.length); // 0 train, 1 validation, 2 test
  const rng = createRng(seed);
  byClass.forEach((members, label) => {
    if (members.length < parts) {
      throw new UserDataError(
        `${source}: class "${classNames[label]}" has ${members.length} image` +
          `${members.length === 1 ? '' : 's'}; it needs at least ${parts} to have one in ` +
          (parts === 3 ? 'each of train, validation and test' : 'both train and validation'),
      );
    }
    const n = members.length;
    const test = parts === 3 ? Math.min(n - 2, Math.max(1, Math.round(n * fractions.test))) : 0;
    const validation = Math.min(n - test - 1, Math.max(1, Math.round(n * fractions.validation)));
    shuffleInPlace(members, rng);
    members.forEach((index, k) => {
      assignment[index] = k < validation ? 1 : k < validation + test ? 2 : 0;
    });
  });
  const pick = (part: number): Uint32Array => {
    const out: number[] = [];
    assignment.forEach((value, index) => {
      if (value === part) out.push(index);
    });
    return Uint32Array.from(out);
  };
  return { train: pick(0), validation: pick(1), test: pick(2) };
}
