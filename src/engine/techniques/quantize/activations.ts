/**
 * Fake quantization of activations (a node's output transform), calibrated on 256 training
 * digits: linear fixed point over [0, max], or WQ's log scale (Park et al. 2017: levels
 * 0 and 2^(e0 + i d), with e0 and d chosen to maximize the weighted entropy of the levels,
 * importance = the level's value). Only layers whose outputs are ReLU's take it: both
 * quantizers are unsigned.
 */
import * as tf from '@tensorflow/tfjs';
import { digitsToTensor } from '../../data/batches.ts';
import { LayerGraph, type GraphNode } from '../../model/graph.ts';
import { createPredictor } from '../../model/program.ts';
import type { TechniqueContext } from '../technique.ts';
import './transforms.ts';
import { makeCheckpoint } from '../../cancel.ts';

export type ActivationScale = 'linear' | 'log';
const CALIBRATION_DIGITS = 256;
const SAMPLE = 20_000;

/** Conv and dense layers with a ReLU, not the network's output. */
export function reluLayers(graph: LayerGraph): GraphNode[] {
  return graph
    .weightedLayers()
    .filter((n) => n.config.activation === 'relu' && n.name !== graph.output);
}

/** Positive outputs of `node` on the calibration digits (an evenly spaced sample of them). */
async function positiveOutputs(graph: LayerGraph, node: string, context: TechniqueContext) {
  const digits = await context.trainDigits();
  const sub = new LayerGraph(graph.clone().nodes, node);
  const predictor = createPredictor(sub);
  try {
    const x = digitsToTensor(digits, 0, CALIBRATION_DIGITS, graph.inputShape);
    const y = predictor.predict(x);
    const all = await y.data();
    tf.dispose([x, y]);
    const positive: number[] = [];
    for (const v of all) if (v > 0) positive.push(v);
    const stride = Math.max(1, Math.floor(positive.length / SAMPLE));
    return Float64Array.from(
      { length: Math.floor(positive.length / stride) },
      (_, i) => positive[i * stride],
    ).sort();
  } finally {
    predictor.dispose();
  }
}

/**
 * Log-scale parameters maximizing sum_i -level_i p_i ln p_i over the positive sample. As in
 * WQ's code, values are binned at 1/16 of an octave (u = floor(16 log2 x)); e0 moves in those
 * steps and d = h/8 (h = 1..16), so every bin edge falls on a whole u and each bin's share is
 * a difference of cumulative counts.
 */
export function logLevels(sortedPositive: Float64Array, bits: number): { e0: number; d: number } {
  const n = sortedPositive.length;
  if (n === 0) return { e0: 0, d: 1 };
  const u = Int32Array.from(sortedPositive, (v) => Math.floor(16 * Math.log2(v)));
  const lowest = u[0];
  const span = u[n - 1] - lowest + 1;
  // below[t] = values with u < lowest + t, for t in [0, span].
  const below = new Int32Array(span + 1);
  for (const x of u) below[x - lowest + 1]++;
  for (let t = 1; t <= span; t++) below[t] += below[t - 1];
  const countBelow = (edge: number) => below[Math.max(0, Math.min(span, edge - lowest))];
  const count = 2 ** bits - 1; // nonzero levels
  const bottom = u[Math.floor(n * 0.001)];
  const top = u[n - 1];
  let best = { e0: top / 16, d: 1, score: -Infinity };
  for (let h = 1; h <= 16; h++) {
    // Level i covers u in [e0 + (2i - 1)h, e0 + (2i + 1)h); level 0 takes everything below.
    for (let e = bottom - 2 * h; e <= top; e++) {
      let score = 0;
      for (let i = 0; i < count; i++) {
        const from = i === 0 ? 0 : countBelow(e + (2 * i - 1) * h);
        const to = i === count - 1 ? n : countBelow(e + (2 * i + 1) * h);
        if (to === n && i < count - 1 && from === n) break;
        const p = (to - from) / n;
        if (p > 0) score -= 2 ** ((e + 2 * i * h) / 16) * p * Math.log(p);
      }
      if (score > best.score) best = { e0: e / 16, d: h / 8, score };
    }
  }
  return { e0: best.e0, d: best.d };
}

export async function quantizeActivations(
  graph: LayerGraph,
  bits: number,
  scale: ActivationScale,
  context: TechniqueContext,
): Promise<Record<string, Record<string, number>>> {
  const report: Record<string, Record<string, number>> = {};
  const checkpoint = makeCheckpoint(context.signal);
  for (const node of reluLayers(graph)) {
    await checkpoint();
    const sample = await positiveOutputs(graph, node.name, context);
    if (scale === 'linear') {
      const max = Math.fround(sample.length ? sample[sample.length - 1] : 1);
      report[node.name] = { bits, max };
      node.outputTransform = { id: 'act-linear', params: { bits, max } };
    } else {
      const { e0, d } = logLevels(sample, bits);
      report[node.name] = { bits, e0, d };
      node.outputTransform = { id: 'act-log', params: { bits, e0, d } };
    }
  }
  return report;
}
