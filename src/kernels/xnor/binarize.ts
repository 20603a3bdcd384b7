/**
 * The weight side of XNOR-Net, prepared once per weight tensor: per-filter alpha (§3.1,
 * alpha = ||W||_1 / n), sign bits packed in the order the kernels read them, and the zero-padding
 * correction. Bit convention (Larq Compute Engine's): bit 0 = +1, bit 1 = -1, sign(0) = +1.
 *
 * Padding: a packed bit cannot mean 0, so a tap that falls in the zero padding reads as +1 and
 * adds sign(w) to the dot product instead of 0. As LCE does, the sum of those sign(w) over the
 * padded taps of each output pixel is precomputed per filter and subtracted.
 */
import type { ConvGeometry } from '../geometry.ts';

/** mean |W| per output channel (the last axis), summed in float64 then rounded to float32. */
export function filterAlpha(weights: Float32Array, outChannels: number): Float32Array {
  const sums = new Float64Array(outChannels);
  for (let i = 0; i < weights.length; i++) sums[i % outChannels] += Math.abs(weights[i]);
  const perFilter = weights.length / outChannels;
  return Float32Array.from(sums, (s) => s / perFilter);
}

/** Words of 32 bits for `bits` bits, rounded up to whole v128 (4 words). */
export function paddedWords(bits: number): number {
  return Math.ceil(bits / 128) * 4;
}

/**
 * Conv filters HWIO [kh, kw, c, k] to k rows of packed bits, tap-major: for each (ky, kx), the
 * ceil(c / 32) words of its channels; rows padded with zero words to `stride` words.
 */
export function packConvFilters(
  weights: Float32Array,
  g: ConvGeometry,
  stride: number,
): Uint32Array {
  const cw = Math.ceil(g.c / 32);
  const rows = new Uint32Array(g.k * stride);
  for (let tap = 0; tap < g.kh * g.kw; tap++) {
    for (let ch = 0; ch < g.c; ch++) {
      const word = tap * cw + (ch >>> 5);
      for (let oc = 0; oc < g.k; oc++) {
        if (weights[(tap * g.c + ch) * g.k + oc] < 0) rows[oc * stride + word] |= 1 << (ch & 31);
      }
    }
  }
  return rows;
}

/** Dense kernel [n, out] to `out` rows of n packed bits, padded to `stride` words. */
export function packDenseColumns(weights: Float32Array, n: number, out: number, stride: number) {
  const rows = new Uint32Array(out * stride);
  for (let i = 0; i < n; i++) {
    for (let o = 0; o < out; o++) {
      if (weights[i * out + o] < 0) rows[o * stride + (i >>> 5)] |= 1 << (i & 31);
    }
  }
  return rows;
}

/**
 * Per output pixel (one image, [oh * ow][k]): the sum of sign(w) over the taps that fall in the
 * padding, or null when no tap ever does.
 */
export function paddingCorrection(weights: Float32Array, g: ConvGeometry): Int32Array | null {
  if (g.padTop + g.padLeft + g.padBottom + g.padRight === 0) return null;
  const taps = g.kh * g.kw;
  const tapSums = new Int32Array(taps * g.k);
  for (let tap = 0; tap < taps; tap++) {
    for (let ch = 0; ch < g.c; ch++) {
      for (let oc = 0; oc < g.k; oc++) {
        tapSums[tap * g.k + oc] += weights[(tap * g.c + ch) * g.k + oc] < 0 ? -1 : 1;
      }
    }
  }
  const corr = new Int32Array(g.oh * g.ow * g.k);
  for (let oy = 0; oy < g.oh; oy++) {
    for (let ox = 0; ox < g.ow; ox++) {
      const row = (oy * g.ow + ox) * g.k;
      for (let ky = 0; ky < g.kh; ky++) {
        const iy = oy * g.sh - g.padTop + ky * g.dh;
        for (let kx = 0; kx < g.kw; kx++) {
          const ix = ox * g.sw - g.padLeft + kx * g.dw;
          if (iy >= 0 && iy < g.h && ix >= 0 && ix < g.w) continue;
          const tap = ky * g.kw + kx;
          for (let oc = 0; oc < g.k; oc++) corr[row + oc] += tapSums[tap * g.k + oc];
        }
      }
    }
  }
  return corr;
}
