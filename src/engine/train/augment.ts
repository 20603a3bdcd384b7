/**
 * Seeded data augmentation for images: each image is moved by a whole number of pixels in x and
 * y (zeros shifted in, every channel moved together), the cheapest transform that still teaches
 * a CNN some translation invariance. Done in JS on the uint8 pixels while the batch is
 * assembled, so it costs no tensor ops and is identical on every backend.
 */
import { imageShapeOf, valuesPerImage, type DigitSplit } from '../data/digits.ts';

/**
 * Writes image `index` of `split` (H x W x C, channels last), shifted by (shiftX, shiftY)
 * pixels and scaled to [0, 1] like digitsToTensor, into `out` at `offset`.
 */
export function writeShiftedDigit(
  split: DigitSplit,
  index: number,
  shiftX: number,
  shiftY: number,
  out: Float32Array,
  offset: number,
): void {
  const [height, width, channels] = imageShapeOf(split);
  const rowValues = width * channels;
  const src = index * valuesPerImage(split);
  for (let y = 0; y < height; y++) {
    const sourceY = y - shiftY;
    const row = offset + y * rowValues;
    if (sourceY < 0 || sourceY >= height) {
      out.fill(0, row, row + rowValues);
      continue;
    }
    const sourceRow = src + sourceY * rowValues;
    for (let x = 0; x < width; x++) {
      const sourceX = x - shiftX;
      const pixel = row + x * channels;
      if (sourceX < 0 || sourceX >= width) {
        out.fill(0, pixel, pixel + channels);
        continue;
      }
      const sourcePixel = sourceRow + sourceX * channels;
      for (let c = 0; c < channels; c++) out[pixel + c] = split.images[sourcePixel + c] / 255;
    }
  }
}

/** A uniformly random shift in [-maxShift, maxShift], drawn from `rng`. */
export function randomShift(rng: () => number, maxShift: number): number {
  return Math.floor(rng() * (2 * maxShift + 1)) - maxShift;
}
