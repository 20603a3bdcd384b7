/**
 * Linear fixed point (weights per tensor or per output channel, symmetric or asymmetric) and
 * weighted-entropy quantization (Park et al. 2017), each with optional activation
 * quantization; named as the WQ paper names its settings, WQ(weight bits, activation bits).
 * Both leave a transform in the forward pass, so a `finetune` step after them is
 * quantization-aware training with the straight-through estimator.
 */
import { RecipeError } from '../../recipe/errors.ts';
import { techniqueSpec } from '../catalog.ts';
import { perLayerValues } from '../prune/masks.ts';
import {
  choiceParam,
  numberParam,
  perLayerParam,
  type Technique,
  type TechniqueParams,
} from '../technique.ts';
import type { LayerGraph } from '../../model/graph.ts';
import { quantizeActivations, type ActivationScale } from './activations.ts';
import { weightedEntropyQuantize } from './weighted-entropy.ts';
import './transforms.ts';
import { makeCheckpoint } from '../../cancel.ts';

/** "WQ(8,8)", "WQ(4,float)", or with per-layer bits "WQ(conv1:8|*:5,8)". */
export function wqName(bits: Map<string, number | undefined>, activationBits: number): string {
  const values = [...new Set(bits.values())];
  const weights =
    values.length === 1
      ? String(values[0] ?? 'float')
      : [...bits].map(([k, v]) => `${k}:${v ?? 'float'}`).join('|');
  return `WQ(${weights},${activationBits || 'float'})`;
}

async function activations(
  graph: LayerGraph,
  params: TechniqueParams,
  context: Parameters<Technique['apply']>[2],
  scale: ActivationScale,
) {
  const bits = numberParam(params, 'activationBits');
  if (bits === 0) return {};
  return quantizeActivations(graph, bits, scale, context);
}

export const linearQuantize: Technique = {
  ...techniqueSpec('quantize-linear'),
  async apply(graph, params, context) {
    const bits = perLayerValues(graph, perLayerParam(params, 'weightBits'), 'quantize-linear bits');
    const symmetric = choiceParam(params, 'mode') === 'symmetric';
    const perChannel = choiceParam(params, 'granularity') === 'channel';
    const layers: Record<string, { bits: number }> = {};
    for (const node of graph.weightedLayers()) {
      const b = bits.get(node.name);
      if (b === undefined) continue;
      if (symmetric && b < 2) {
        throw new RecipeError(
          `quantize-linear: symmetric fixed point needs at least 2 bits (layer ${node.name} has ${b}); use mode=asymmetric`,
        );
      }
      const w = node.weights.find((x) => x.prunable)!;
      w.coding = undefined;
      w.transform = {
        id: 'fixed-point',
        params: { bits: b, symmetric: symmetric ? 1 : 0, perChannel: perChannel ? 1 : 0 },
      };
      layers[node.name] = { bits: b };
    }
    const acts = await activations(graph, params, context, 'linear');
    return {
      quantization: {
        method: 'linear',
        name: wqName(bits, numberParam(params, 'activationBits')),
        layers,
        activations: acts,
      },
    };
  },
};

export const weightedEntropy: Technique = {
  ...techniqueSpec('weighted-entropy'),
  async apply(graph, params, context) {
    const bits = perLayerValues(
      graph,
      perLayerParam(params, 'weightBits'),
      'weighted-entropy bits',
    );
    const layers: Record<string, ReturnType<typeof weightedEntropyQuantize>> = {};
    const checkpoint = makeCheckpoint(context.signal);
    for (const node of graph.weightedLayers()) {
      const b = bits.get(node.name);
      if (b === undefined) continue;
      await checkpoint();
      layers[node.name] = weightedEntropyQuantize(
        node.weights.find((x) => x.prunable)!,
        b,
        node.name,
      );
    }
    const acts = await activations(
      graph,
      params,
      context,
      choiceParam<ActivationScale>(params, 'activations'),
    );
    return {
      quantization: {
        method: 'weighted-entropy',
        name: wqName(bits, numberParam(params, 'activationBits')),
        layers,
        activations: acts,
      },
    };
  },
};

/** Deep Compression's last stage: Huffman-codes every shared-weight layer's indices. */
export const huffmanCoding: Technique = {
  ...techniqueSpec('huffman'),
  apply(graph) {
    let coded = 0;
    for (const w of graph.prunableWeights()) {
      if (w.transform && (w.transform.id === 'codebook' || w.transform.id === 'wq-levels')) {
        w.transform = { ...w.transform, params: { ...w.transform.params, huffman: 1 } };
        coded++;
      } else if (w.coding?.kind === 'codebook') {
        w.coding = { ...w.coding, huffman: true };
        coded++;
      }
    }
    if (coded === 0) {
      throw new RecipeError(
        'huffman: no layer shares weights yet; put kmeans or weighted-entropy before it',
      );
    }
  },
};
