/** Confusion matrices: how often each true class is read as each class, and two runs' difference. */

/** K x K counts: row = true class, column = predicted class. */
export type ConfusionMatrix = number[][];

export function confusionMatrix(
  labels: ArrayLike<number>,
  predicted: ArrayLike<number>,
  classCount: number,
): ConfusionMatrix {
  const matrix = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0));
  for (let i = 0; i < labels.length; i++) matrix[labels[i]][predicted[i]]++;
  return matrix;
}

/** B's matrix less A's, cell by cell: where B reads a class as another more (+) or less (-). */
export function confusionDifference(a: ConfusionMatrix, b: ConfusionMatrix): ConfusionMatrix {
  if (a.length !== b.length) {
    throw new RangeError(`confusion matrices of ${a.length} and ${b.length} classes`);
  }
  return b.map((row, t) => row.map((count, p) => count - a[t][p]));
}
