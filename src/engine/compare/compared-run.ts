/**
 * What a comparison of two runs reads: the true classes of a data set's test images and each
 * run's answers on them, checked to be about the same images before anything is counted.
 */
import type { DataSetId } from '../data/datasets.ts';
import type { PredictionConfidence } from '../measure/accuracy.ts';

/** A run as a comparison sees it: its data set, and its answer on each of the test images. */
export interface ComparedRun {
  /** How messages name it ("A", "B", a recipe). */
  readonly name: string;
  readonly data: DataSetId;
  /** The class predicted for each test image, in split order (absent: recorded before). */
  readonly predicted?: Uint16Array;
  /** The probabilities of that class and of the true one, as 8 bits (absent: recorded before). */
  readonly confidence?: PredictionConfidence;
}

/** The test images both runs answered: their data set, true classes and how many classes. */
export interface ComparedTest {
  readonly data: DataSetId;
  readonly labels: ArrayLike<number>;
  readonly classCount: number;
}

/** Two runs that cannot be compared, or a run without what a comparison reads. */
export class CompareError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CompareError';
  }
}

/** A run whose answers are checked against the test images: its predictions are there. */
export interface CheckedRun extends ComparedRun {
  readonly predicted: Uint16Array;
}

/**
 * Both runs' answers, checked: the same data set as each other and as the test images (else
 * their test images differ and no image-by-image figure means anything), one answer per test
 * image, each a class of the data set.
 */
export function checkComparable(
  test: ComparedTest,
  a: ComparedRun,
  b: ComparedRun,
): [CheckedRun, CheckedRun] {
  if (a.data !== b.data) {
    throw new CompareError(
      `runs on different data sets cannot be compared image by image: ${a.name} ran on ${a.data}, ${b.name} on ${b.data}`,
    );
  }
  if (test.data !== a.data) {
    throw new CompareError(
      `${a.name} and ${b.name} ran on ${a.data}, but the test images given are ${test.data}'s`,
    );
  }
  if (!Number.isInteger(test.classCount) || test.classCount < 1) {
    throw new CompareError(`a data set has at least one class, not ${test.classCount}`);
  }
  for (const run of [a, b]) {
    if (run.predicted === undefined) {
      throw new CompareError(
        `${run.name} was recorded before each image's answer was kept: run it again to compare it`,
      );
    }
    if (run.predicted.length !== test.labels.length) {
      throw new CompareError(
        `${run.name} answered ${run.predicted.length.toLocaleString('en-US')} test images, but ${test.data}'s test split has ${test.labels.length.toLocaleString('en-US')}: they are not the same test split`,
      );
    }
    for (const length of [run.confidence?.top.length, run.confidence?.truth.length]) {
      if (length !== undefined && length !== test.labels.length) {
        throw new CompareError(
          `${run.name} has confidences for ${length} test images, not ${test.labels.length}`,
        );
      }
    }
    const outside = run.predicted.findIndex((c) => c >= test.classCount);
    if (outside >= 0) {
      throw new CompareError(
        `${run.name} predicts class ${run.predicted[outside]} for test image ${outside}, but ${test.data} has ${test.classCount} classes`,
      );
    }
  }
  for (let i = 0; i < test.labels.length; i++) {
    const label = test.labels[i];
    if (!Number.isInteger(label) || label < 0 || label >= test.classCount) {
      throw new CompareError(
        `test image ${i} is labelled ${label}, not one of ${test.data}'s ${test.classCount} classes`,
      );
    }
  }
  return [a as CheckedRun, b as CheckedRun];
}
