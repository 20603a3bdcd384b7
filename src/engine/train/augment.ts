/**
 * Seeded data augmentation for digits: each image is moved by a whole number of pixels in x and
 * y (zeros shifted in), the cheapest transform that still teaches a CNN some translation
 * invariance. Done in JS on the uint8 pixels while the batch is assembled, so it costs no
 * tensor ops and is identical on every backend.
 */
import { IMAGE_SIZE, PIXELS, type DigitSplit } from '../data/digits.ts';

/**
 * Writes digit `index` of `split`, shifted by (shiftX, shiftY) pixels and scaled to [0, 1]
 * like digitsToTensor, into `out` at `offset`.
 */
export function writeShiftedDigit(
  split: DigitSplit,
  index: number,
  shiftX: number,
  shiftY: number,
  out: Float32Array,
  offset: number,
): void {
  const src = index * PIXELS;
  for (let y = 0; y < IMAGE_SIZE; y++) {
    const sourceY = y - shiftY;
    const row = offset + y * IMAGE_SIZE;
    if (sourceY < 0 || sourceY >= IMAGE_SIZE) {
      out.fill(0, row, row + IMAGE_SIZE);
      continue;
    }
    for (let x = 0; x < IMAGE_SIZE; x++) {
      const sourceX = x - shiftX;
      out[row + x] =
        sourceX < 0 || sourceX >= IMAGE_SIZE
          ? 0
          : split.images[src + sourceY * IMAGE_SIZE + sourceX] / 255;
    }
  }
}

/** A uniformly random shift in [-maxShift, maxShift], drawn from `rng`. */
export function randomShift(rng: () => number, maxShift: number): number {
  return Math.floor(rng() * (2 * maxShift + 1)) - maxShift;
}
