/**
 * Batch-norm recalibration: a calibration step, not fine-tuning. No weight changes; every batch
 * norm's moving mean and variance are set to the statistics of its input over training digits,
 * as the network computes after the steps before it. Pruning a conv shifts the mean and shrinks
 * the spread of what its batch norm sees, while the norm keeps normalizing by the unpruned
 * network's statistics; re-estimating them is the usual remedy (e.g. Li et al., "Revisiting
 * Batch Normalization for Practical Domain Adaptation", 2017, re-estimate statistics without
 * training; "BN recalibration" in one-shot architecture search does the same after sampling).
 *
 * The digits run in chunks in training mode (each norm normalizes a chunk by the chunk's own
 * statistics, as in training); the chunks' means and variances are combined exactly (law of
 * total variance) into statistics over all the digits.
 */
import * as tf from '@tensorflow/tfjs';
import { makeCheckpoint } from '../../cancel.ts';
import { digitsToTensor } from '../../data/batches.ts';
import type { DigitSplit } from '../../data/digits.ts';
import type { LayerGraph } from '../../model/graph.ts';
import { createPredictor } from '../../model/program.ts';
import { RecipeError } from '../../recipe/errors.ts';
import { techniqueSpec } from '../catalog.ts';
import { numberParam, type Technique } from '../technique.ts';

const CHUNK = 250;

/** Sets every batch norm's moving statistics from the first `count` digits; returns their names. */
export async function recalibrateBatchNorm(
  graph: LayerGraph,
  digits: DigitSplit,
  count: number,
  signal?: AbortSignal,
): Promise<string[]> {
  const norms = graph.nodes.filter(
    (n) =>
      n.className === 'BatchNormalization' &&
      n.weights.some((w) => w.role === 'moving_mean') &&
      n.weights.some((w) => w.role === 'moving_variance'),
  );
  if (norms.length === 0) return [];
  const total = Math.min(count, digits.count);
  const sums = new Map(
    norms.map((n) => {
      const channels = n.weights.find((w) => w.role === 'moving_mean')!.values.length;
      return [n.name, { mean: new Float64Array(channels), second: new Float64Array(channels) }];
    }),
  );
  const batchStats = new Map<string, { mean: tf.Tensor; variance: tf.Tensor }>();
  const predictor = createPredictor(graph, undefined, batchStats);
  const checkpoint = makeCheckpoint(signal);
  try {
    for (let start = 0; start < total; start += CHUNK) {
      await checkpoint();
      const n = Math.min(CHUNK, total - start);
      const x = digitsToTensor(digits, start, n, graph.inputShape);
      try {
        // A chunk through resnext takes most of a second: an abort lands between layers. The
        // chunk stays whole, since each norm normalizes by the statistics of the whole chunk.
        (await predictor.predictInSlices(x, checkpoint)).dispose();
      } finally {
        x.dispose();
      }
      for (const [name, stats] of batchStats) {
        const [mean, variance] = [stats.mean.dataSync(), stats.variance.dataSync()];
        const sum = sums.get(name)!;
        for (let c = 0; c < mean.length; c++) {
          // Each chunk weighs by its digits (the same number of positions per digit).
          sum.mean[c] += (n / total) * mean[c];
          sum.second[c] += (n / total) * (variance[c] + mean[c] * mean[c]);
        }
        tf.dispose([stats.mean, stats.variance]);
      }
      batchStats.clear();
    }
  } finally {
    tf.dispose([...batchStats.values()].flatMap((s) => [s.mean, s.variance]));
    predictor.dispose();
  }
  for (const node of norms) {
    const sum = sums.get(node.name)!;
    const mean = node.weights.find((w) => w.role === 'moving_mean')!;
    const variance = node.weights.find((w) => w.role === 'moving_variance')!;
    mean.values = Float32Array.from(sum.mean);
    variance.values = Float32Array.from(sum.second, (s, c) =>
      Math.max(0, s - sum.mean[c] * sum.mean[c]),
    );
  }
  return norms.map((n) => n.name);
}

export const bnRecalibrate: Technique = {
  ...techniqueSpec('bn-recalibrate'),
  async apply(graph, params, context) {
    if (!graph.nodes.some((n) => n.className === 'BatchNormalization')) {
      throw new RecipeError('bn-recalibrate: this model has no batch norm layers to recalibrate');
    }
    const digits = numberParam(params, 'digits');
    const norms = await recalibrateBatchNorm(
      graph,
      await context.trainDigits(),
      digits,
      context.signal,
    );
    context.progress({ fraction: 1 });
    return { recalibratedNorms: norms.length, digits };
  },
};
