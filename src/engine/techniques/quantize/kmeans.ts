/**
 * Trained quantization by weight sharing (Han, Mao, Dally, ICLR 2016, section 3): each conv
 * and dense kernel's kept weights are clustered by 1-D k-means into at most 2^bits shared
 * values; the layer then computes with codebook[index] through the `codebook` transform, so a
 * later fine-tuning step trains the centroids (gradients summed per cluster) with the indices
 * and the pruned zeros held. Centroids start linearly over [min, max] (the paper's choice),
 * at equally spaced quantiles of the weights (density-based), or at random weights (Forgy).
 */
import { finishSlices, makeCheckpoint, runSlices, type Slices } from '../../cancel.ts';
import { RecipeError } from '../../recipe/errors.ts';
import type { WeightTensor } from '../../model/graph.ts';
import { createRng } from '../../util/random.ts';
import { techniqueSpec } from '../catalog.ts';
import { booleanParam, choiceParam, perLayerParam, type Technique } from '../technique.ts';
import { perLayerValues } from '../prune/masks.ts';
import './transforms.ts';

export type CentroidInit = 'linear' | 'density' | 'random';

export interface Clustering {
  /** Shared values, ascending, only those some weight uses. */
  readonly centroids: Float32Array;
  /** Cluster of each input value. */
  readonly assignment: Uint16Array;
  readonly iterations: number;
}

/** Initial centroids for `sorted` (ascending) values. */
export function initialCentroids(
  sorted: Float64Array,
  k: number,
  init: CentroidInit,
  seed: number,
): Float64Array {
  const n = sorted.length;
  const c = new Float64Array(k);
  const [min, max] = [sorted[0], sorted[n - 1]];
  if (init === 'linear') {
    for (let j = 0; j < k; j++)
      c[j] = k === 1 ? (min + max) / 2 : min + (j * (max - min)) / (k - 1);
  } else if (init === 'density') {
    // Equal steps of the CDF, read back on the weight axis.
    for (let j = 0; j < k; j++) c[j] = sorted[Math.min(n - 1, Math.floor(((j + 0.5) * n) / k))];
  } else {
    const rng = createRng(seed);
    const picked = new Set<number>();
    while (picked.size < k) picked.add(Math.floor(rng() * n));
    [...picked].forEach((i, j) => (c[j] = sorted[i]));
  }
  return c.sort();
}

/** The first index of ascending `sorted` whose value is not below `x` (n when none is). */
function lowerBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Lloyd's algorithm in one dimension: with sorted values and sorted centroids, each cluster is
 * a contiguous run, split at the midpoints between neighbouring centroids. The values are sorted
 * once by a native numeric sort and each iteration finds its k - 1 splits by bisection, so a
 * 400,000-weight layer takes tens of milliseconds, not half a second: a step cancelled meanwhile
 * waits at most one layer. Equal values always share a cluster, so a value's cluster is read
 * back from the last midpoints without keeping the sorting permutation.
 */
export function kmeans1d(
  values: Float32Array,
  k: number,
  init: CentroidInit,
  seed = 1,
  maxIterations = 50,
): Clustering {
  return finishSlices(kmeansSlices(values, k, init, seed, maxIterations));
}

/** Values between two yields of the clustering (a few milliseconds of work). */
const SLICE_VALUES = 1 << 15;

/**
 * The values in ascending order, sorted as slices: blocks of SLICE_VALUES sorted natively, then
 * merged pairwise. Only the sign of a zero may land elsewhere than a single native sort puts it,
 * which no comparison below can tell.
 */
function* sortSlices(values: Float32Array): Slices<Float64Array> {
  const n = values.length;
  let from = Float64Array.from(values);
  for (let start = 0; start < n; start += SLICE_VALUES) {
    from.subarray(start, Math.min(n, start + SLICE_VALUES)).sort();
    yield;
  }
  let to = new Float64Array(n);
  for (let width = SLICE_VALUES; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(n, lo + width);
      const hi = Math.min(n, lo + 2 * width);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) to[k++] = from[j] < from[i] ? from[j++] : from[i++];
      while (i < mid) to[k++] = from[i++];
      while (j < hi) to[k++] = from[j++];
      yield;
    }
    [from, to] = [to, from];
  }
  return from;
}

/** kmeans1d as slices (see Slices), for a step that must let a cancel in within a layer. */
export function* kmeansSlices(
  values: Float32Array,
  k: number,
  init: CentroidInit,
  seed = 1,
  maxIterations = 50,
): Slices<Clustering> {
  const n = values.length;
  const sorted = yield* sortSlices(values);
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i] + sorted[i];
  let centroids = initialCentroids(sorted, k, init, seed);
  let starts = new Int32Array(k + 1);
  // mids[j - 1]: the split between clusters j - 1 and j that `starts` was found with.
  let mids = new Float64Array(Math.max(0, k - 1));
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    // starts[j] = first sorted value nearer to centroid j than to j - 1.
    const next = new Int32Array(k + 1);
    const nextMids = new Float64Array(mids.length);
    next[k] = n;
    for (let j = 1; j < k; j++) {
      nextMids[j - 1] = (centroids[j - 1] + centroids[j]) / 2;
      next[j] = Math.max(next[j - 1], lowerBound(sorted, nextMids[j - 1]));
    }
    const moved = new Float64Array(centroids);
    for (let j = 0; j < k; j++) {
      const count = next[j + 1] - next[j];
      if (count > 0) moved[j] = (prefix[next[j + 1]] - prefix[next[j]]) / count;
    }
    const same = next.every((s, j) => s === starts[j]);
    starts = next;
    mids = nextMids;
    centroids = moved.sort();
    if (same) break;
  }
  // Drop clusters no weight uses; store the centroids as float32.
  const used: number[] = [];
  const compactIndex = new Int32Array(k).fill(-1);
  for (let j = 0; j < k; j++) {
    if (starts[j + 1] > starts[j]) {
      compactIndex[j] = used.length;
      used.push(j);
    }
  }
  const compact = Float32Array.from(used, (j) => centroids[j]);
  const assignment = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    if (i % SLICE_VALUES === SLICE_VALUES - 1) yield;
    // The cluster of a value: how many splits lie at or below it.
    const v = values[i];
    let lo = 0;
    let hi = mids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (mids[mid] <= v) lo = mid + 1;
      else hi = mid;
    }
    assignment[i] = compactIndex[lo];
  }
  return { centroids: compact, assignment, iterations };
}

/** Puts a codebook transform on `w` from a clustering of its kept weights. */
export function shareWeights(
  w: WeightTensor,
  bits: number,
  init: CentroidInit,
  seed: number,
  layer: string,
) {
  return finishSlices(shareWeightsSlices(w, bits, init, seed, layer));
}

function* shareWeightsSlices(
  w: WeightTensor,
  bits: number,
  init: CentroidInit,
  seed: number,
  layer: string,
) {
  const kept: number[] = [];
  for (let i = 0; i < w.values.length; i++) if (!w.mask || w.mask[i]) kept.push(i);
  if (2 ** bits > kept.length) {
    throw new RecipeError(
      `kmeans: layer ${layer} keeps ${kept.length} weights, fewer than the ${2 ** bits} clusters of ${bits} bits`,
    );
  }
  const clustering = yield* kmeansSlices(
    Float32Array.from(kept, (i) => w.values[i]),
    2 ** bits,
    init,
    seed,
  );
  const indices = new Float32Array(w.values.length);
  kept.forEach((i, s) => (indices[i] = clustering.assignment[s]));
  w.coding = undefined;
  w.transform = {
    id: 'codebook',
    params: { bits, huffman: 0 },
    tensors: {
      codebook: {
        shape: [clustering.centroids.length],
        values: clustering.centroids.slice(),
        trainable: true,
      },
      indices: { shape: [...w.shape], values: indices, trainable: false },
    },
  };
  let error = 0;
  kept.forEach(
    (i, s) => (error += (w.values[i] - clustering.centroids[clustering.assignment[s]]) ** 2),
  );
  return {
    bits,
    clusters: clustering.centroids.length,
    iterations: clustering.iterations,
    rmsError: Math.sqrt(error / kept.length),
    codebook: Array.from(clustering.centroids),
  };
}

export const kmeansQuantize: Technique = {
  ...techniqueSpec('kmeans'),
  async apply(graph, params, context) {
    const bits = perLayerValues(graph, perLayerParam(params, 'bits'), 'kmeans bits');
    // The longest stretch without a cancellation point is one layer's sort of its weights.
    const checkpoint = makeCheckpoint(context.signal);
    const init = choiceParam<CentroidInit>(params, 'init');
    const biases = booleanParam(params, 'biases');
    const layers: Record<string, ReturnType<typeof shareWeights>> = {};
    for (const node of graph.weightedLayers()) {
      const b = bits.get(node.name);
      if (b === undefined) continue;
      const w = node.weights.find((x) => x.prunable)!;
      layers[node.name] = await runSlices(
        shareWeightsSlices(w, b, init, context.seed, node.name),
        checkpoint,
      );
      const bias = node.weights.find((x) => x.role === 'bias');
      // A layer's few biases get at most as many clusters as they have values (a power of 2).
      if (biases && bias && bias.values.length >= 2) {
        const biasBits = Math.min(b, Math.floor(Math.log2(bias.values.length)));
        await runSlices(
          shareWeightsSlices(bias, biasBits, init, context.seed, `${node.name} (biases)`),
          checkpoint,
        );
      }
    }
    return { quantization: { method: 'kmeans', init, layers } };
  },
};
