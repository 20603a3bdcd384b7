/**
 * Reference twin of the Winograd kernels: the same tiles and transforms in plain float64 loops
 * (input transform, elementwise products summed over channels, output transform), stride 1,
 * no dilation, padding as tfjs.
 */
import type { ConvGeometry } from '../geometry.ts';
import type { WinogradMatrices } from './transforms.ts';
import { transformFilters } from './transforms.ts';

export function winogradConv2dReference(
  x: Float32Array,
  g: ConvGeometry,
  weights: Float32Array,
  w: WinogradMatrices,
  bias?: Float32Array,
): Float32Array {
  const { T, m, BT, AT } = w;
  const U = transformFilters(weights, g.c, g.k, w);
  const tilesH = Math.ceil(g.oh / m);
  const tilesW = Math.ceil(g.ow / m);
  const out = new Float32Array(g.n * g.oh * g.ow * g.k);
  const d = new Float64Array(T * T);
  const t = new Float64Array(T * T);
  const V = new Float64Array(T * T * g.c);
  const M = new Float64Array(T * T);
  for (let b = 0; b < g.n; b++) {
    for (let ty = 0; ty < tilesH; ty++) {
      for (let tx = 0; tx < tilesW; tx++) {
        for (let ch = 0; ch < g.c; ch++) {
          for (let i = 0; i < T; i++) {
            for (let j = 0; j < T; j++) {
              const iy = ty * m + i - g.padTop;
              const ix = tx * m + j - g.padLeft;
              const inside = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w;
              d[i * T + j] = inside ? x[((b * g.h + iy) * g.w + ix) * g.c + ch] : 0;
            }
          }
          for (let i = 0; i < T; i++) {
            for (let j = 0; j < T; j++) {
              let s = 0;
              for (let l = 0; l < T; l++) s += BT[i * T + l] * d[l * T + j];
              t[i * T + j] = s;
            }
          }
          for (let i = 0; i < T; i++) {
            for (let j = 0; j < T; j++) {
              let s = 0;
              for (let l = 0; l < T; l++) s += t[i * T + l] * BT[j * T + l];
              V[(i * T + j) * g.c + ch] = s;
            }
          }
        }
        for (let o = 0; o < g.k; o++) {
          for (let pos = 0; pos < T * T; pos++) {
            let s = 0;
            for (let ch = 0; ch < g.c; ch++) s += V[pos * g.c + ch] * U[(pos * g.c + ch) * g.k + o];
            M[pos] = s;
          }
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < m; j++) {
              const oy = ty * m + i;
              const ox = tx * m + j;
              if (oy >= g.oh || ox >= g.ow) continue;
              let s = 0;
              for (let a = 0; a < T; a++) {
                for (let c = 0; c < T; c++) s += AT[i * T + a] * M[a * T + c] * AT[j * T + c];
              }
              out[((b * g.oh + oy) * g.ow + ox) * g.k + o] = s + (bias ? bias[o] : 0);
            }
          }
        }
      }
    }
  }
  return out;
}
