/**
 * XNOR-Net (Rastegari, Ordonez, Redmon, Farhadi, ECCV 2016) as a change of the network, not of
 * its weights alone: each chosen Conv2D / Dense becomes a BinaryConv2D / BinaryDense
 * (model/layers.ts, with the binarization and XNOR products in model/binary-arithmetic.ts),
 * whose forward binarizes its inputs (sign, with the scale K of section 3.2) and its weights
 * (sign times alpha = mean |W| per output filter), and which the bit-packed XNOR/popcount
 * kernels run when latency is measured. As the paper's block order (BN ->
 * BinActiv -> BinConv, Table 3b), a batch norm goes before each binary layer, started at the
 * statistics of its input on training digits, so the signs split the activations at their mean
 * rather than at 0 (LeNet's inputs there are ReLU outputs, all >= 0). First and last layers
 * may stay float (section 4.1).
 *
 * Tang et al. 2017's toggles: PReLU in place of the binary layers' ReLU, a learned scale before
 * the softmax, several residual binarizations of the activations, the bipolar regularizer and
 * the low learning rate (tang.ts). Training: straight-through gradients, latent weights
 * clipped to [-1, 1]; afterwards each binary kernel is stored as +-alpha per filter (coding
 * 'binary', 1 bit a weight).
 */
import * as tf from '@tensorflow/tfjs';
import { digitsToTensor } from '../../data/batches.ts';
import { insertAfter, replaceNode } from '../../model/edit.ts';
import { LayerGraph, makeWeight, type GraphNode } from '../../model/graph.ts';
import { createPredictor } from '../../model/program.ts';
import { RecipeError } from '../../recipe/errors.ts';
import { techniqueSpec } from '../catalog.ts';
import { booleanParam, numberParam, type Technique, type TechniqueContext } from '../technique.ts';
import { trainRequest } from '../train/training-params.ts';
import { freezeBinary } from './binary.ts';
import { chooseLayers, codingSummary, kernelOf } from './binary-common.ts';
import { clipLatent, tangTraining } from './tang.ts';

/** Digits whose activations start each inserted batch norm. */
const STATISTICS_DIGITS = 512;
/** He et al.'s initial PReLU slope. */
const PRELU_SLOPE = 0.25;

/** Why XNOR-Net cannot binarize a layer, or undefined. */
export function xnorRefusal(graph: LayerGraph, node: GraphNode): string | undefined {
  if (node.className !== 'Conv2D' && node.className !== 'Dense') {
    return `is a ${node.className}; XNOR-Net binarizes Conv2D and Dense layers`;
  }
  const input = graph.info().get(node.name)!.inputShapes[0];
  if (node.className === 'Dense' && input.length !== 1) {
    return `is a Dense layer over a [${input.join(', ')}] input; XNOR-Net binarizes dense layers over flat inputs`;
  }
  return undefined;
}

/** Per-channel mean and variance of a layer's output over some training digits. */
async function outputStatistics(
  graph: LayerGraph,
  layer: string,
  context: TechniqueContext,
): Promise<{ mean: Float32Array; variance: Float32Array }> {
  const upTo = graph.nodes.findIndex((n) => n.name === layer);
  const sub = new LayerGraph(graph.nodes.slice(0, upTo + 1), layer);
  const digits = await context.trainDigits();
  const count = Math.min(STATISTICS_DIGITS, digits.count);
  const predictor = createPredictor(sub);
  try {
    const [mean, variance] = tf.tidy(() => {
      const y = predictor.predict(digitsToTensor(digits, 0, count, graph.inputShape));
      const axes = Array.from({ length: y.rank - 1 }, (_, i) => i);
      const m = tf.moments(y, axes);
      return [m.mean, m.variance];
    });
    const result = {
      mean: new Float32Array(await mean.data()),
      variance: new Float32Array(await variance.data()),
    };
    tf.dispose([mean, variance]);
    return result;
  } finally {
    predictor.dispose();
  }
}

/** `base`, or `base_2`, `base_3`, ... when the model already has a layer of that name. */
function freeName(graph: LayerGraph, base: string): string {
  let name = base;
  for (let k = 2; graph.hasNode(name); k++) name = `${base}_${k}`;
  return name;
}

function channelNode(name: string, className: string, values: Float32Array): GraphNode {
  return {
    name,
    className,
    config: { name },
    inbound: [],
    weights: [makeWeight(name, 'gamma', [values.length], values)],
  };
}

export const xnor: Technique = {
  ...techniqueSpec('xnor'),
  async apply(graph, params, context) {
    const { layers, skipped } = chooseLayers(graph, params, (node) => xnorRefusal(graph, node));
    const names = layers.map((n) => n.name);
    const activationBits = numberParam(params, 'activations');
    const withPrelu = booleanParam(params, 'prelu');
    for (const name of names) {
      const node = graph.node(name);
      // Before a Flatten the batch norm is per image channel (50 entries, not 800 features).
      const reader = graph.node(node.inbound[0]);
      const throughFlatten =
        reader.className === 'Flatten' && graph.consumers(reader.name).length === 1;
      const source = throughFlatten ? reader.inbound[0] : reader.name;
      // An input other layers read too (a residual shortcut) gets its batch norm on this
      // layer's edge only: the others keep reading it as it was.
      const shared = !throughFlatten && graph.consumers(source).length > 1;
      let edgeNorm: GraphNode | undefined;
      if (booleanParam(params, 'batchNorm')) {
        const { mean, variance } = await outputStatistics(graph, source, context);
        const bn = freeName(graph, `${name}_bn`);
        const n = mean.length;
        const norm: GraphNode = {
          name: bn,
          className: 'BatchNormalization',
          config: { name: bn, axis: -1, epsilon: 0.001, momentum: 0.99, center: true, scale: true },
          inbound: [],
          weights: [
            makeWeight(bn, 'gamma', [n], new Float32Array(n).fill(1)),
            makeWeight(bn, 'beta', [n], new Float32Array(n)),
            makeWeight(bn, 'moving_mean', [n], mean),
            makeWeight(bn, 'moving_variance', [n], variance),
          ],
        };
        if (shared) edgeNorm = norm;
        else insertAfter(graph, source, norm);
      }
      const current = graph.node(name);
      const relu = current.config.activation === 'relu';
      const binary: GraphNode = {
        ...current,
        className: current.className === 'Conv2D' ? 'BinaryConv2D' : 'BinaryDense',
        config: {
          ...current.config,
          activationBits,
          ...(withPrelu && relu ? { activation: 'linear' } : {}),
        },
      };
      const channels = graph.outputShapeOf(name).at(-1)!;
      const chain: GraphNode[] =
        withPrelu && relu
          ? [
              binary,
              channelNode(
                freeName(graph, `${name}_prelu`),
                'PReLU',
                new Float32Array(channels).fill(PRELU_SLOPE),
              ),
            ]
          : [binary];
      replaceNode(graph, name, edgeNorm ? [edgeNorm, ...chain] : chain);
    }
    if (booleanParam(params, 'scale')) {
      // The scale goes on the classifier's logits: after the last conv or dense layer, before
      // its softmax.
      const last = graph.weightedLayers().at(-1)!;
      const classes = graph.outputShapeOf(last.name).at(-1)!;
      const softmax = last.config.activation === 'softmax';
      if (!softmax && (last.config.activation ?? 'linear') !== 'linear') {
        throw new RecipeError(
          `the scale layer goes on the logits, but layer "${last.name}" ends in ${String(last.config.activation)}`,
        );
      }
      const chain: GraphNode[] = [
        softmax ? { ...last, config: { ...last.config, activation: 'linear' } } : last,
        channelNode(
          freeName(graph, `${last.name}_scale`),
          'Scale',
          new Float32Array(classes).fill(1),
        ),
      ];
      if (softmax) {
        const name = freeName(graph, `${last.name}_softmax`);
        chain.push({
          name,
          className: 'Activation',
          config: { name, activation: 'softmax' },
          inbound: [],
          weights: [],
        });
      }
      replaceNode(graph, last.name, chain);
    }
    const kernels = names.map((n) => kernelOf(graph.node(n)));
    const training =
      numberParam(params, 'epochs') > 0
        ? await context.train(graph, {
            ...trainRequest(params),
            ...tangTraining(params, kernels),
            afterUpdate: clipLatent(kernels.map((w) => w.name)),
          })
        : null;
    const alphas: Record<string, number[]> = {};
    for (const name of names) {
      const scales = freezeBinary(kernelOf(graph.node(name)), true).scales;
      alphas[name] = [Math.min(...scales), Math.max(...scales)];
    }
    const summary = codingSummary(graph);
    return {
      binaryLayers: names,
      alphaRange: alphas,
      skipped,
      codedBytes: summary.bytes,
      training: training?.epochs,
    };
  },
};
