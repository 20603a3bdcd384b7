/**
 * MEC, memory-efficient convolution (Cho & Brand, ICML 2017): the sizes of its lowered matrix
 * against im2col's, and the reference twin (lowering, then one GEMM per output row over a
 * slice of the lowered matrix), in plain float64 loops.
 *
 * Lowered: L is [n * ow][hp * kw * c] (hp = padded input height): for each output column, the
 * kw-wide strip of the whole padded input under it. im2col: [n * oh * ow][kh * kw * c]. The
 * ratio is (oh * kh) / hp, about kh / sh for large inputs.
 */
import type { ConvGeometry } from '../geometry.ts';

export interface LoweredSizes {
  /** Elements (float32) of MEC's lowered matrix. */
  mec: number;
  /** Elements of im2col's. */
  im2col: number;
  /** im2col / mec. */
  ratio: number;
}

export function paddedHeight(g: ConvGeometry): number {
  return g.h + g.padTop + g.padBottom;
}

export function loweredSizes(g: ConvGeometry): LoweredSizes {
  const mec = g.n * g.ow * paddedHeight(g) * g.kw * g.c;
  const im2col = g.n * g.oh * g.ow * g.kh * g.kw * g.c;
  return { mec, im2col, ratio: im2col / mec };
}

/** Why MEC does not apply to this layer, or null. */
export function mecUnsupported(g: ConvGeometry): string | null {
  if (g.dh !== 1 || g.dw !== 1) return 'needs dilation 1';
  return null;
}

export function mecLower(x: Float32Array, g: ConvGeometry): Float64Array {
  const hp = paddedHeight(g);
  const rowLength = hp * g.kw * g.c;
  const L = new Float64Array(g.n * g.ow * rowLength);
  for (let b = 0; b < g.n; b++) {
    for (let w = 0; w < g.ow; w++) {
      for (let hh = 0; hh < hp; hh++) {
        for (let kx = 0; kx < g.kw; kx++) {
          const iy = hh - g.padTop;
          const ix = g.sw * w + kx - g.padLeft;
          if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
          for (let ch = 0; ch < g.c; ch++) {
            L[(b * g.ow + w) * rowLength + (hh * g.kw + kx) * g.c + ch] =
              x[((b * g.h + iy) * g.w + ix) * g.c + ch];
          }
        }
      }
    }
  }
  return L;
}

export function mecConv2dReference(
  x: Float32Array,
  g: ConvGeometry,
  weights: Float32Array,
  bias?: Float32Array,
): Float32Array {
  const L = mecLower(x, g);
  const rowLength = paddedHeight(g) * g.kw * g.c;
  const depth = g.kh * g.kw * g.c;
  const out = new Float32Array(g.n * g.oh * g.ow * g.k);
  for (let b = 0; b < g.n; b++) {
    for (let oy = 0; oy < g.oh; oy++) {
      const column = oy * g.sh * g.kw * g.c;
      for (let w = 0; w < g.ow; w++) {
        const row = (b * g.ow + w) * rowLength + column;
        for (let o = 0; o < g.k; o++) {
          let s = 0;
          for (let i = 0; i < depth; i++) s += L[row + i] * weights[i * g.k + o];
          out[((b * g.oh + oy) * g.ow + w) * g.k + o] = s + (bias ? bias[o] : 0);
        }
      }
    }
  }
  return out;
}
