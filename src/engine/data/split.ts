/**
 * The validation split: a seeded, class-stratified holdout taken out of a training set. Integer
 * arithmetic and the lab's own seeded generator (util/random.ts) make it the same on every
 * machine and in every JS engine; the data set build uses it and its tests pin its output.
 */
import { createRng, shuffleInPlace } from '../util/random.ts';

export interface Holdout {
  /** Indices kept for training, ascending (the source's order). */
  readonly kept: Uint32Array;
  /** Indices held out, ascending (the source's order). */
  readonly held: Uint32Array;
  /** How many of each class were held out. */
  readonly heldPerClass: readonly number[];
}

/**
 * Holds out `count` of the items whose classes are `labels`, each class in proportion to its
 * share (largest remainders, ties to the lower class), the items of each class chosen by a
 * seeded shuffle.
 */
export function stratifiedHoldout(
  labels: Uint8Array,
  classCount: number,
  count: number,
  seed: number,
): Holdout {
  const total = labels.length;
  if (!Number.isInteger(count) || count < 0 || count > total) {
    throw new RangeError(`cannot hold out ${count} of ${total} items`);
  }
  const byClass: number[][] = Array.from({ length: classCount }, () => []);
  labels.forEach((label, index) => {
    if (label >= classCount) throw new RangeError(`label ${label} at ${index} is not a class`);
    byClass[label].push(index);
  });
  const heldPerClass = byClass.map((members) => Math.floor((members.length * count) / total));
  const remainders = byClass
    .map((members, label) => ({ label, remainder: (members.length * count) % total }))
    .sort((a, b) => b.remainder - a.remainder || a.label - b.label);
  const missing = count - heldPerClass.reduce((a, b) => a + b, 0);
  for (let k = 0; k < missing; k++) heldPerClass[remainders[k].label]++;

  const rng = createRng(seed);
  const isHeld = new Uint8Array(total);
  byClass.forEach((members, label) => {
    shuffleInPlace(members, rng);
    for (let k = 0; k < heldPerClass[label]; k++) isHeld[members[k]] = 1;
  });
  const held = new Uint32Array(count);
  const kept = new Uint32Array(total - count);
  let h = 0;
  let k = 0;
  for (let index = 0; index < total; index++) {
    if (isHeld[index]) held[h++] = index;
    else kept[k++] = index;
  }
  return { kept, held, heldPerClass };
}

/** The items at `indices` (in that order) of a set of `itemBytes`-byte images and their labels. */
export function gatherItems(
  images: Uint8Array,
  labels: Uint8Array,
  indices: ArrayLike<number>,
  itemBytes: number,
): { images: Uint8Array; labels: Uint8Array } {
  const outImages = new Uint8Array(indices.length * itemBytes);
  const outLabels = new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const index = indices[k];
    outImages.set(images.subarray(index * itemBytes, (index + 1) * itemBytes), k * itemBytes);
    outLabels[k] = labels[index];
  }
  return { images: outImages, labels: outLabels };
}
