/** Per-class accuracy of two runs on the same test images, and how much each class moved. */

/** One class's figures in both runs. */
export interface ClassChange {
  readonly classIndex: number;
  /** Test images of this class. */
  readonly count: number;
  readonly correctA: number;
  readonly correctB: number;
  /** correct / count (0 for a class without test images). */
  readonly accuracyA: number;
  readonly accuracyB: number;
  /** accuracyB - accuracyA: negative where B lost accuracy on the class. */
  readonly change: number;
}

/** Images of each class (index = class) that `predicted` gets right. */
export function correctPerClass(
  labels: ArrayLike<number>,
  predicted: ArrayLike<number>,
  classCount: number,
): number[] {
  const correct = new Array<number>(classCount).fill(0);
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) correct[labels[i]]++;
  return correct;
}

/** Test images of each class (index = class). */
export function imagesPerClass(labels: ArrayLike<number>, classCount: number): number[] {
  const counts = new Array<number>(classCount).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  return counts;
}

/**
 * Every class's accuracy in A and in B, sorted by the change from A to B: the classes B lost
 * most first, the ones it gained most last (ties in class order).
 */
export function perClassChanges(
  labels: ArrayLike<number>,
  classCount: number,
  predictedA: ArrayLike<number>,
  predictedB: ArrayLike<number>,
): ClassChange[] {
  const counts = imagesPerClass(labels, classCount);
  const correctA = correctPerClass(labels, predictedA, classCount);
  const correctB = correctPerClass(labels, predictedB, classCount);
  const rows = counts.map((count, c) => {
    const accuracyA = count > 0 ? correctA[c] / count : 0;
    const accuracyB = count > 0 ? correctB[c] / count : 0;
    return {
      classIndex: c,
      count,
      correctA: correctA[c],
      correctB: correctB[c],
      accuracyA,
      accuracyB,
      change: accuracyB - accuracyA,
    };
  });
  return rows.sort((x, y) => x.change - y.change || x.classIndex - y.classIndex);
}
