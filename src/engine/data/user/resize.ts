/**
 * Resizing one channels-last uint8 image. Both kinds map output pixel centres onto the source
 * with half-pixel centres (source x = (x + 0.5) * inWidth / outWidth - 0.5), as PIL and
 * tf.image.resize(half_pixel_centers) do; 'bilinear' clamps at the edges and rounds to the
 * nearest integer, with no antialiasing when shrinking (PIL's BILINEAR filter, which
 * torchvision's Resize uses, antialiases when shrinking, so shrunk images can differ from it).
 */
export type Interpolation = 'bilinear' | 'nearest';

export function resizeImage(
  source: Uint8Array,
  from: readonly [number, number, number],
  to: readonly [number, number],
  interpolation: Interpolation,
): Uint8Array {
  const [inHeight, inWidth, channels] = from;
  const [outHeight, outWidth] = to;
  const out = new Uint8Array(outHeight * outWidth * channels);
  const scaleY = inHeight / outHeight;
  const scaleX = inWidth / outWidth;
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      const target = (y * outWidth + x) * channels;
      if (interpolation === 'nearest') {
        const sy = Math.min(inHeight - 1, Math.floor((y + 0.5) * scaleY));
        const sx = Math.min(inWidth - 1, Math.floor((x + 0.5) * scaleX));
        const at = (sy * inWidth + sx) * channels;
        for (let c = 0; c < channels; c++) out[target + c] = source[at + c];
        continue;
      }
      const fy = clamp((y + 0.5) * scaleY - 0.5, 0, inHeight - 1);
      const fx = clamp((x + 0.5) * scaleX - 0.5, 0, inWidth - 1);
      const y0 = Math.floor(fy);
      const x0 = Math.floor(fx);
      const y1 = Math.min(y0 + 1, inHeight - 1);
      const x1 = Math.min(x0 + 1, inWidth - 1);
      const wy = fy - y0;
      const wx = fx - x0;
      for (let c = 0; c < channels; c++) {
        const top =
          source[(y0 * inWidth + x0) * channels + c] * (1 - wx) +
          source[(y0 * inWidth + x1) * channels + c] * wx;
        const bottom =
          source[(y1 * inWidth + x0) * channels + c] * (1 - wx) +
          source[(y1 * inWidth + x1) * channels + c] * wx;
        out[target + c] = Math.round(top * (1 - wy) + bottom * wy);
      }
    }
  }
  return out;
}

const clamp = (value: number, low: number, high: number): number =>
  Math.min(high, Math.max(low, value));
