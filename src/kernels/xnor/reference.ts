/**
 * Reference twins of the XNOR kernels: plain loops over +-1 values, no bits, no packing. They
 * define the results exactly, float rounding included (every step in float32 via Math.fround,
 * in a stated order), so the packed kernels must match them bit for bit.
 *
 * conv:  y[p, o] = dot(sign(x) window p, sign(W[:, :, :, o])) * alpha[o] * K[p] + bias[o], where
 *        the dot skips taps in the zero padding, A[pixel] = mean |x| over channels and K[p] is
 *        the sum of A over the window's taps inside the image divided by kh * kw (§3.2).
 * dense: y[b, o] = dot(sign(x[b]), sign(W[:, o])) * alpha[o] * beta[b] + bias[o],
 *        beta[b] = mean |x[b]|.
 * sign(0) = +1. alpha comes from filterAlpha (binarize.ts).
 */
import type { ConvGeometry } from '../geometry.ts';

const f = Math.fround;
const sign = (v: number) => (v < 0 ? -1 : 1);

/**
 * mean |x| over `count` values from `offset`, in the kernels' order: four float32 lane sums
 * (lane = index mod 4) over the whole blocks of 32, combined as (l0 + l1) + (l2 + l3), then the
 * rest added one by one, then divided by count.
 */
export function absMean(values: Float32Array, offset: number, count: number): number {
  const blocks = Math.floor(count / 32) * 32;
  const lanes = [0, 0, 0, 0];
  for (let i = 0; i < blocks; i++) lanes[i & 3] = f(lanes[i & 3] + Math.abs(values[offset + i]));
  let tail = 0;
  for (let i = blocks; i < count; i++) tail = f(tail + Math.abs(values[offset + i]));
  const total = f(f(f(lanes[0] + lanes[1]) + f(lanes[2] + lanes[3])) + tail);
  return f(total / count);
}

export function xnorConv2dReference(
  x: Float32Array,
  g: ConvGeometry,
  weights: Float32Array,
  alpha: Float32Array,
  bias?: Float32Array,
  /** false: the integer dot products alone (no alpha, K or bias). */
  scale = true,
): Float32Array {
  const a = new Float32Array(g.n * g.h * g.w);
  for (let p = 0; p < a.length; p++) a[p] = absMean(x, p * g.c, g.c);
  const out = new Float32Array(g.n * g.oh * g.ow * g.k);
  for (let b = 0; b < g.n; b++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        let kSum = 0;
        const dots = new Int32Array(g.k);
        for (let ky = 0; ky < g.kh; ky++) {
          const iy = oy * g.sh - g.padTop + ky * g.dh;
          for (let kx = 0; kx < g.kw; kx++) {
            const ix = ox * g.sw - g.padLeft + kx * g.dw;
            if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
            const pixel = (b * g.h + iy) * g.w + ix;
            kSum = f(kSum + a[pixel]);
            for (let ch = 0; ch < g.c; ch++) {
              const s = sign(x[pixel * g.c + ch]);
              const wRow = ((ky * g.kw + kx) * g.c + ch) * g.k;
              for (let oc = 0; oc < g.k; oc++) dots[oc] += s * sign(weights[wRow + oc]);
            }
          }
        }
        const k = f(kSum / (g.kh * g.kw));
        const row = ((b * g.oh + oy) * g.ow + ox) * g.k;
        for (let oc = 0; oc < g.k; oc++) {
          out[row + oc] = scale
            ? f(f(f(dots[oc] * alpha[oc]) * k) + (bias ? bias[oc] : 0))
            : dots[oc];
        }
      }
    }
  }
  return out;
}

export function xnorDenseReference(
  x: Float32Array,
  batch: number,
  weights: Float32Array,
  n: number,
  outputs: number,
  alpha: Float32Array,
  bias?: Float32Array,
): Float32Array {
  const out = new Float32Array(batch * outputs);
  for (let b = 0; b < batch; b++) {
    const beta = absMean(x, b * n, n);
    for (let o = 0; o < outputs; o++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += sign(x[b * n + i]) * sign(weights[i * outputs + o]);
      out[b * outputs + o] = f(f(f(dot * alpha[o]) * beta) + (bias ? bias[o] : 0));
    }
  }
  return out;
}
