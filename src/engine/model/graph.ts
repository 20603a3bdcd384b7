/**
 * A layer-graph view of a tfjs LayersModel: every layer with its weights copied to host memory,
 * a mask per prunable kernel, and the numbers the lab reports (params, MACs). Techniques edit
 * the host copies; a ModelRuntime writes them back into a tfjs model to evaluate.
 */
import type * as tf from '@tensorflow/tfjs';
import { ModelLoadError } from './errors.ts';

/** Layer classes the engine understands (those of small CNNs and MLPs). */
export const SUPPORTED_LAYERS = [
  'InputLayer',
  'Conv2D',
  'DepthwiseConv2D',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'GlobalMaxPooling2D',
  'Flatten',
  'Reshape',
  'Dense',
  'Dropout',
  'BatchNormalization',
  'Activation',
  'ReLU',
  'LeakyReLU',
  'Softmax',
  'ZeroPadding2D',
] as const;

/** Which weights of a layer a pruning mask applies to. */
const PRUNABLE_WEIGHTS: Record<string, readonly string[]> = {
  Conv2D: ['kernel'],
  Dense: ['kernel'],
  DepthwiseConv2D: ['depthwise_kernel'],
};

export type WeightRole = 'kernel' | 'bias' | 'other';

export interface WeightTensor {
  /** Full variable name, e.g. "conv1/kernel". */
  readonly name: string;
  readonly layer: string;
  readonly role: WeightRole;
  readonly shape: readonly number[];
  values: Float32Array;
  /** 1 = kept, 0 = pruned. Present only on prunable kernels. */
  mask?: Uint8Array;
}

export interface LayerNode {
  readonly name: string;
  readonly className: string;
  /** Output shape without the batch dimension. */
  readonly outputShape: readonly number[];
  /** Multiply-accumulates for one input digit with all weights dense. */
  readonly macs: number;
  /** Indices into LayerGraph.weights, in the layer's own order. */
  readonly weightIndices: readonly number[];
}

function withoutBatch(shape: tf.Shape | tf.Shape[]): number[] {
  // Single-output layers report one shape; the lab's models have no multi-output layers.
  const single = (Array.isArray(shape[0]) ? shape[0] : shape) as tf.Shape;
  return single.slice(1).map((d) => d ?? 0);
}

const product = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

function layerMacs(layer: tf.layers.Layer, weightShapes: readonly (readonly number[])[]): number {
  const className = layer.getClassName();
  const out = withoutBatch(layer.outputShape);
  const kernel = weightShapes[0];
  switch (className) {
    case 'Conv2D': {
      // kernel [kh, kw, inC, outC]: every output element takes kh*kw*inC products.
      const [kh, kw, inC] = kernel;
      return product(out) * kh * kw * inC;
    }
    case 'DepthwiseConv2D': {
      const [kh, kw] = kernel;
      return product(out) * kh * kw;
    }
    case 'Dense': {
      const [inUnits] = kernel;
      return product(out) * inUnits;
    }
    default:
      return 0;
  }
}

export class LayerGraph {
  private constructor(
    readonly layers: readonly LayerNode[],
    readonly weights: WeightTensor[],
    readonly inputShape: readonly number[],
  ) {}

  /** Reads a model's structure and weights; throws ModelLoadError for layers it cannot handle. */
  static async fromModel(model: tf.LayersModel): Promise<LayerGraph> {
    const weights: WeightTensor[] = [];
    const layers: LayerNode[] = [];
    for (const layer of model.layers) {
      const className = layer.getClassName();
      if (!(SUPPORTED_LAYERS as readonly string[]).includes(className)) {
        throw new ModelLoadError(
          `layer "${layer.name}" has type ${className}, which the lab does not support yet (supported: ${SUPPORTED_LAYERS.join(', ')})`,
        );
      }
      const indices: number[] = [];
      for (const variable of layer.weights) {
        const shortName = variable.originalName.split('/').pop() ?? variable.originalName;
        const prunable = PRUNABLE_WEIGHTS[className]?.includes(shortName) ?? false;
        const values = new Float32Array(await variable.read().data());
        indices.push(weights.length);
        weights.push({
          name: variable.originalName,
          layer: layer.name,
          role: prunable ? 'kernel' : shortName === 'bias' ? 'bias' : 'other',
          shape: variable.shape.map((d) => d ?? 0),
          values,
          mask: prunable ? new Uint8Array(values.length).fill(1) : undefined,
        });
      }
      layers.push({
        name: layer.name,
        className,
        outputShape: withoutBatch(layer.outputShape),
        macs: layerMacs(
          layer,
          indices.map((i) => weights[i].shape),
        ),
        weightIndices: indices,
      });
    }
    return new LayerGraph(layers, weights, withoutBatch(model.inputs[0].shape));
  }

  clone(): LayerGraph {
    return new LayerGraph(
      this.layers,
      this.weights.map((w) => ({ ...w, values: w.values.slice(), mask: w.mask?.slice() })),
      this.inputShape,
    );
  }

  /** The kernels a pruning technique may zero, with their masks. */
  prunableWeights(): WeightTensor[] {
    return this.weights.filter((w) => w.mask !== undefined);
  }

  get params(): number {
    return this.weights.reduce((sum, w) => sum + w.values.length, 0);
  }

  get nonzeroParams(): number {
    let count = 0;
    for (const w of this.weights) for (const v of w.values) if (v !== 0) count++;
    return count;
  }

  get macs(): number {
    return this.layers.reduce((sum, l) => sum + l.macs, 0);
  }

  /** MACs left when products with zero weights are skipped (what a sparse kernel would do). */
  get sparseMacs(): number {
    let total = 0;
    for (const layer of this.layers) {
      const kernel = layer.weightIndices
        .map((i) => this.weights[i])
        .find((w) => w.role === 'kernel');
      if (!kernel || layer.macs === 0) {
        total += layer.macs;
        continue;
      }
      let nonzero = 0;
      for (const v of kernel.values) if (v !== 0) nonzero++;
      total += (layer.macs * nonzero) / kernel.values.length;
    }
    return Math.round(total);
  }
}
