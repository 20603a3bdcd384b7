/**
 * Structured Sparsity Learning (Wen et al., NIPS 2016): fine-tuning with group lasso over whole
 * filters, input channels and filter shapes (and dense units), so whole groups reach zero; then
 * the zero groups are removed from the graph, leaving a smaller dense network that is really
 * faster, not a sparse one that only looks smaller. As in the authors' Caffe code, weights below
 * a tiny threshold are zeroed after every update (ZEROUT_THRESHOLD = 1e-4).
 *
 * A group counts as zero when its L2 norm is below `threshold` times the largest group norm of
 * its layer. A filter goes when its own group is zero, or when every layer that reads it has
 * zeroed the matching input channel (or, through a Flatten, every feature it makes).
 */
import * as tf from '@tensorflow/tfjs';
import { techniqueSpec } from '../catalog.ts';
import { removeChannels, type ChannelRemoval, channelTies } from '../../model/edit.ts';
import type { GraphNode, LayerGraph, WeightTensor } from '../../model/graph.ts';
import { layerKind } from '../../model/layers.ts';
import { RecipeError } from '../../recipe/errors.ts';
import {
  groupLasso,
  groupNorms,
  type GroupKind,
  type GroupLassoTerm,
} from '../../train/group-lasso.ts';
import { numberParam, type Technique } from '../technique.ts';
import { trainRequest } from '../train/training-params.ts';

/** Group L2 norms of a host kernel (HWIO conv or [in, out] dense). */
export function hostGroupNorms(w: WeightTensor, kind: GroupKind): Float64Array {
  const shape = w.shape;
  const outC = shape[shape.length - 1];
  const inC = shape[shape.length - 2];
  const count = kind === 'filters' ? outC : kind === 'channels' ? inC : w.values.length / outC;
  const sums = new Float64Array(count);
  for (let i = 0; i < w.values.length; i++) {
    const group =
      kind === 'filters'
        ? i % outC
        : kind === 'channels'
          ? Math.floor(i / outC) % inC
          : Math.floor(i / outC);
    sums[group] += w.values[i] * w.values[i];
  }
  return sums.map(Math.sqrt);
}

const kernelOf = (node: GraphNode) => node.weights.find((w) => w.role === 'kernel');

/** Follows a node's input back through activations, pooling and batch norm. */
function sourceOf(graph: LayerGraph, name: string): GraphNode {
  let node = graph.node(name);
  for (;;) {
    const flow = layerKind(node.className).channels;
    if ((flow === 'elementwise' || flow === 'batchnorm') && node.className !== 'InputLayer') {
      node = graph.node(node.inbound[0]);
    } else return node;
  }
}

/** The layers that read a producer's channels, past activations, pooling and batch norm. */
function readersOf(graph: LayerGraph, producer: string): GraphNode[] {
  const readers: GraphNode[] = [];
  const queue = [producer];
  while (queue.length) {
    const name = queue.shift()!;
    for (const consumer of graph.consumers(name)) {
      const flow = layerKind(consumer.className).channels;
      if (flow === 'elementwise' || flow === 'batchnorm') queue.push(consumer.name);
      else readers.push(consumer);
    }
  }
  return readers;
}

/** For each reader of `producer`, whether it ignores channel c (its input group is zero). */
function unusedChannels(
  graph: LayerGraph,
  producer: string,
  isZero: (w: WeightTensor, kind: GroupKind) => boolean[],
): Set<number> {
  const channels = graph.outputShapeOf(producer).at(-1)!;
  let unused = new Set(Array.from({ length: channels }, (_, c) => c));
  const readers = readersOf(graph, producer);
  if (readers.length === 0) return new Set();
  for (const reader of readers) {
    const kind = layerKind(reader.className).channels;
    let ignored: (c: number) => boolean;
    if (kind === 'produce') {
      const zero = isZero(kernelOf(reader)!, 'channels');
      ignored = (c) => zero[c];
    } else if (reader.className === 'Flatten') {
      const flatReaders = readersOf(graph, reader.name);
      if (flatReaders.length !== 1 || flatReaders[0].className !== 'Dense') return new Set();
      const zero = isZero(kernelOf(flatReaders[0])!, 'channels');
      const positions = zero.length / channels;
      ignored = (c) => {
        for (let p = 0; p < positions; p++) if (!zero[p * channels + c]) return false;
        return true;
      };
    } else {
      return new Set(); // Add, Concatenate, depthwise...: left to the filter groups
    }
    unused = new Set([...unused].filter(ignored));
  }
  return unused;
}

export const ssl: Technique = {
  ...techniqueSpec('ssl'),
  async apply(graph, params, context) {
    const lambdas = {
      filters: numberParam(params, 'filters'),
      channels: numberParam(params, 'channels'),
      shapes: numberParam(params, 'shapes'),
      neurons: numberParam(params, 'neurons'),
    };
    const terms: GroupLassoTerm[] = [];
    const inputName = graph.input.name;
    for (const node of graph.nodes) {
      const kernel = kernelOf(node);
      if (!kernel || node.name === graph.output) continue;
      const readsImage = sourceOf(graph, node.inbound[0]).name === inputName;
      if (node.className === 'Conv2D') {
        terms.push({ weight: kernel.name, kind: 'filters', lambda: lambdas.filters });
        if (!readsImage)
          terms.push({ weight: kernel.name, kind: 'channels', lambda: lambdas.channels });
        terms.push({ weight: kernel.name, kind: 'shapes', lambda: lambdas.shapes });
      } else if (node.className === 'Dense') {
        terms.push({ weight: kernel.name, kind: 'filters', lambda: lambdas.neurons });
        if (!readsImage)
          terms.push({ weight: kernel.name, kind: 'channels', lambda: lambdas.neurons });
      }
    }
    // The output layer's input rows still count: they are how fc1's units die.
    const outputKernel = kernelOf(graph.node(graph.output));
    if (outputKernel && graph.node(graph.output).className === 'Dense') {
      terms.push({ weight: outputKernel.name, kind: 'channels', lambda: lambdas.neurons });
    }
    if (
      lambdas.filters + lambdas.channels + lambdas.shapes > 0 &&
      !graph.nodes.some((n) => n.className === 'Conv2D')
    ) {
      throw new RecipeError(
        'filter, channel and shape groups need conv layers, and this model has none (use neurons=...)',
      );
    }
    if (
      !terms.some((t) => t.lambda > 0 && graph.nodes.some((n) => kernelOf(n)?.name === t.weight))
    ) {
      throw new RecipeError('every lasso weight is 0 for this model, so nothing would be learned');
    }

    // Group norms of every conv's filters (and dense units) over training, for the page's plot.
    const tracked = graph.nodes.filter((n) => kernelOf(n) && n.name !== graph.output);
    const request = trainRequest(params);
    const batchesPerEpoch = request.maxBatchesPerEpoch ?? Math.ceil(8000 / request.batchSize);
    const sampleEvery = Math.max(1, Math.floor((request.epochs * batchesPerEpoch) / 24));
    const history: { batch: number; layers: Record<string, number[]> }[] = [];
    let updates = 0;
    const sample = (weights: ReadonlyMap<string, tf.Tensor>) => {
      const layers: Record<string, number[]> = {};
      for (const node of tracked) {
        const norms = groupNorms(weights.get(kernelOf(node)!.name)!, 'filters');
        layers[node.name] = Array.from(norms.dataSync(), (v) => Number(v.toPrecision(4)));
        norms.dispose();
      }
      history.push({ batch: updates, layers });
    };
    const initial = new Map(
      tracked.map((n) => [
        kernelOf(n)!.name,
        tf.tensor(kernelOf(n)!.values, kernelOf(n)!.shape as number[]),
      ]),
    );
    sample(initial);
    tf.dispose([...initial.values()]);

    const zeroOut = 1e-4;
    const training = await context.train(graph, {
      ...request,
      regularizers: [groupLasso(terms)],
      afterUpdate: (weights) => {
        updates++;
        for (const node of tracked) {
          const variable = weights.get(kernelOf(node)!.name) as tf.Variable;
          tf.tidy(() =>
            variable.assign(
              tf.where(tf.less(tf.abs(variable), zeroOut), tf.zerosLike(variable), variable),
            ),
          );
        }
        if (updates % sampleEvery === 0) sample(weights);
      },
    });

    // Which groups reached zero, relative to the strongest group of their layer.
    const threshold = numberParam(params, 'threshold');
    const isZero = (w: WeightTensor, kind: GroupKind) => {
      const norms = hostGroupNorms(w, kind);
      const max = Math.max(...norms);
      return Array.from(norms, (n) => n <= threshold * max);
    };
    const before = graph.channelCounts();
    const removals: ChannelRemoval[] = [];
    for (const node of graph.nodes) {
      if (layerKind(node.className).channels !== 'produce' || node.name === graph.output) continue;
      const kernel = kernelOf(node)!;
      const zeroFilters = isZero(kernel, 'filters');
      const unused = unusedChannels(graph, node.name, isZero);
      const remove = zeroFilters.flatMap((zero, c) => (zero || unused.has(c) ? [c] : []));
      // Keep the strongest filter of a layer that would lose them all.
      if (remove.length >= zeroFilters.length) {
        const norms = hostGroupNorms(kernel, 'filters');
        remove.splice(remove.indexOf(norms.indexOf(Math.max(...norms))), 1);
      }
      if (remove.length) removals.push({ producer: node.name, channels: remove });
    }
    // Channels tied by an Add go only where every tied layer agrees.
    const agreed = removals.filter((r) => {
      const group = channelTies(graph).find((g) => g.includes(r.producer)) ?? [r.producer];
      return group.length === 1;
    });
    for (const group of channelTies(graph).filter((g) => g.length > 1)) {
      const sets = group.map(
        (p) => new Set(removals.find((r) => r.producer === p)?.channels ?? []),
      );
      const common = [...sets[0]].filter((c) => sets.every((s) => s.has(c)));
      if (common.length) for (const p of group) agreed.push({ producer: p, channels: common });
    }
    if (agreed.length) removeChannels(graph, agreed);
    const after = graph.channelCounts();
    return {
      training: training.epochs,
      groupNorms: history,
      channelsBefore: before,
      channelsAfter: after,
      removed: Object.fromEntries(agreed.map((r) => [r.producer, r.channels.length])),
    };
  },
};
