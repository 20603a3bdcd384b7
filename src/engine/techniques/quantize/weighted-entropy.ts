/**
 * Weighted-entropy-based quantization of weights (Park, Ahn, Yoo, CVPR 2017), as the authors'
 * caffe-WQ code does it (eh_functions.cu; ../shared/ALGORITHMS.md section 5): 2^bits levels
 * +-r_0 .. +-r_(H-1) (H = 2^(bits-1), no zero level), magnitude clusters over the sorted
 * importances s = w^2 with boundaries moved one at a time to maximize the weighted entropy
 * S = -sum_k wp_k ln(P_k / 2), wp_k = sum of s in cluster k / n, P_k = |C_k| / n; then
 * r_k = sqrt(mean s over C_k) and b_k = sqrt(first s of C_k), and a weight w becomes
 * sign(w) r_j with j the largest index such that |w| >= b_j.
 */
import { RecipeError } from '../../recipe/errors.ts';
import type { WeightTensor } from '../../model/graph.ts';

export interface WeightedEntropyLevels {
  /** Magnitudes r_0 < ... < r_(H-1) (float32). */
  readonly levels: Float32Array;
  /** b_0 = 0 < b_1 < ... (float32). */
  readonly bounds: Float32Array;
  readonly entropy: number;
}

/** S for cluster starts `slice` (slice[k] = first sorted index of cluster k; slice[H] = n). */
function clusterTerm(prefix: Float64Array, n: number, from: number, to: number): number {
  const count = to - from;
  if (count <= 0) return -Infinity;
  const wp = (prefix[to] - prefix[from]) / n;
  return -wp * Math.log(count / n / 2);
}

export function weightedEntropyLevels(kept: Float32Array, bits: number): WeightedEntropyLevels {
  const half = 2 ** (bits - 1);
  const n = kept.length;
  if (n < half) {
    throw new RecipeError(`${n} weights cannot fill ${half} weighted-entropy clusters`);
  }
  const s = Float64Array.from(kept, (w) => w * w).sort();
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i] + s[i];
  // Equal counts to start (script_for_WQ), then one boundary at a time, sweeping while S rises.
  const start = new Int32Array(half + 1);
  for (let k = 1; k < half; k++) start[k] = Math.floor((n * k) / half);
  start[half] = n;
  const total = () => {
    let sum = 0;
    for (let k = 0; k < half; k++) sum += clusterTerm(prefix, n, start[k], start[k + 1]);
    return sum;
  };
  let entropy = total();
  for (let sweep = 0; sweep < 30; sweep++) {
    for (let k = 1; k < half; k++) {
      const lo = start[k - 1] + 1;
      const hi = start[k + 1] - 1;
      if (hi < lo) continue;
      const local = (b: number) =>
        clusterTerm(prefix, n, start[k - 1], b) + clusterTerm(prefix, n, b, start[k + 1]);
      // Coarse-to-fine search of the boundary between clusters k - 1 and k.
      let [from, to] = [lo, hi];
      let best = start[k];
      let bestValue = local(best);
      while (to - from > 32) {
        const step = (to - from) / 16;
        for (let t = 0; t <= 16; t++) {
          const b = Math.round(from + t * step);
          const v = local(b);
          if (v > bestValue) [best, bestValue] = [b, v];
        }
        [from, to] = [Math.max(lo, Math.floor(best - step)), Math.min(hi, Math.ceil(best + step))];
      }
      for (let b = from; b <= to; b++) {
        const v = local(b);
        if (v > bestValue) [best, bestValue] = [b, v];
      }
      start[k] = best;
    }
    const next = total();
    if (!(next > entropy + 1e-12)) {
      entropy = Math.max(entropy, next);
      break;
    }
    entropy = next;
  }
  const levels = new Float32Array(half);
  const bounds = new Float32Array(half);
  for (let k = 0; k < half; k++) {
    levels[k] = Math.sqrt((prefix[start[k + 1]] - prefix[start[k]]) / (start[k + 1] - start[k]));
    bounds[k] = k === 0 ? 0 : Math.sqrt(s[start[k]]);
  }
  return { levels, bounds, entropy };
}

/** Puts a `wq-levels` transform on `w` (levels from its kept weights). */
export function weightedEntropyQuantize(w: WeightTensor, bits: number, layer: string) {
  const kept: number[] = [];
  for (let i = 0; i < w.values.length; i++) if (!w.mask || w.mask[i]) kept.push(w.values[i]);
  let result: WeightedEntropyLevels;
  try {
    result = weightedEntropyLevels(Float32Array.from(kept), bits);
  } catch (err) {
    throw new RecipeError(`weighted-entropy: layer ${layer}: ${(err as Error).message}`);
  }
  w.coding = undefined;
  w.transform = {
    id: 'wq-levels',
    params: { bits, huffman: 0 },
    tensors: {
      levels: { shape: [result.levels.length], values: result.levels, trainable: false },
      bounds: { shape: [result.bounds.length], values: result.bounds, trainable: false },
    },
  };
  const codebook = [...Array.from(result.levels, (r) => -r).reverse(), ...result.levels];
  return { bits, clusters: codebook.length, entropy: result.entropy, codebook };
}
