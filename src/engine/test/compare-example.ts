/**
 * The compare tests' hand-made example: 3 classes, 8 images. Every figure the tests expect was
 * counted by hand from these rows, not by the code under test.
 *
 *   image   0  1  2  3  4  5  6  7
 *   label   0  0  0  1  1  1  2  2
 *   A       0  1  0  1  1  2  2  2     right: 0 2 3 4 6 7        (6)
 *   B       0  0  0  1  0  0  2  1     right: 0 1 2 3 6          (5)
 */
import type { ComparedRun, ComparedTest } from '../compare/compared-run.ts';

export const handTest: ComparedTest = {
  data: 'mnist-10k',
  labels: Uint8Array.from([0, 0, 0, 1, 1, 1, 2, 2]),
  classCount: 3,
};

export const handA: ComparedRun = {
  name: 'A',
  data: 'mnist-10k',
  predicted: Uint16Array.from([0, 1, 0, 1, 1, 2, 2, 2]),
  confidence: {
    top: Uint8Array.from([255, 200, 255, 255, 204, 150, 255, 153]),
    truth: Uint8Array.from([255, 51, 255, 255, 204, 102, 255, 153]),
  },
};

export const handB: ComparedRun = {
  name: 'B',
  data: 'mnist-10k',
  predicted: Uint16Array.from([0, 0, 0, 1, 0, 0, 2, 1]),
  confidence: {
    top: Uint8Array.from([255, 153, 255, 255, 200, 230, 255, 150]),
    truth: Uint8Array.from([255, 153, 255, 255, 51, 25, 255, 102]),
  },
};
