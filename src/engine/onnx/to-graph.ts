/**
 * An ONNX image classifier (the plain model decode.ts makes) as the lab's own layer graph, so
 * that every technique and preset applies to it. ONNX computes NCHW with OIHW kernels, the lab
 * NHWC with HWIO: each op converter (ops/) moves weights and layouts across, and a tensor
 * remembers how the lab orders its elements relative to ONNX (ops/values.ts), so reshapes and
 * transposes cost nothing and the first dense layer after a Flatten reads its inputs in the
 * lab's order. What cannot be converted exactly is refused with an OnnxError naming the node,
 * its op and the opset.
 */
import { GraphError, LayerGraph, type GraphNode } from '../model/graph.ts';
import { OnnxError, type OnnxDim, type OnnxModel } from './onnx-model.ts';
import { Conversion } from './ops/conversion.ts';
import { OP_CONVERTERS, SUPPORTED_ONNX_OPS } from './ops/index.ts';
import { constantOf } from './ops/shapes.ts';
import { imageOrder, orderArray, type TensorValue, type Value } from './ops/values.ts';
import { ONNX_DATA_TYPES } from './onnx-model.ts';

/**
 * The operator sets whose ops the converters implement (PyTorch exports 9 to 18; ONNX's own
 * tests of ops unchanged since opset 1 or 6 are that old). Where an op changed, its converter
 * reads both forms or refuses the attributes it does not know.
 */
export const ONNX_OPSETS = { min: 1, max: 21 } as const;

export interface OnnxImport {
  readonly graph: LayerGraph;
  /** The model's input as ONNX states it, so an export can take the same input back. */
  readonly input: {
    readonly name: string;
    readonly shape: readonly OnnxDim[];
    /** NCHW: an image batch [N, C, H, W]; NC: flat features [N, F]; other: [N, ...] as is. */
    readonly layout: 'NCHW' | 'NC' | 'other';
  };
  readonly outputName: string;
  /** The lab node whose output is the ONNX model's output. */
  readonly logits: string;
  /**
   * The model outputs log-probabilities (it ends in LogSoftmax): the lab's graph ends in the
   * Softmax over the same scores, and the ONNX output is the log of the lab's.
   */
  readonly logProbabilities: boolean;
  /**
   * The Softmax the importer appended because the model outputs scores the lab's training
   * would not read as probabilities (an export drops it again); null when the model has its own.
   */
  readonly appendedSoftmax: string | null;
}

const LAYER_NAME_CHARACTERS = /[^A-Za-z0-9_.-]/g;

function inputNode(name: string, shape: readonly number[]): GraphNode {
  return {
    name,
    className: 'InputLayer',
    config: { name, batchInputShape: [null, ...shape] },
    inbound: [],
    weights: [],
  };
}

/** Lab nodes the output depends on, in their order (dead branches and folded chains dropped). */
function reachable(nodes: readonly GraphNode[], output: string): GraphNode[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const needed = new Set<string>([nodes[0].name]);
  const stack = [output];
  while (stack.length) {
    const name = stack.pop()!;
    if (needed.has(name)) continue;
    needed.add(name);
    stack.push(...byName.get(name)!.inbound);
  }
  return nodes.filter((n) => needed.has(n.name));
}

/** Every node converted: the lab nodes made and the value of the model's output. */
export interface OnnxConversion {
  readonly cx: Conversion;
  readonly input: OnnxImport['input'];
  readonly outputName: string;
  readonly output: Value | undefined;
}

/** The lab graph that computes a converted tensor (for tests of single ops). */
export function graphComputing(conversion: OnnxConversion, value: TensorValue): LayerGraph {
  const graph = new LayerGraph(reachable(conversion.cx.nodes, value.node), value.node);
  graph.checkShapes();
  return graph;
}

/** Converts every node of a model with one input and one output (any output shape). */
export function convertOnnx(model: OnnxModel, source: string): OnnxConversion {
  const { graph } = model;
  const opset = model.opsetVersion;
  if (!(opset >= ONNX_OPSETS.min && opset <= ONNX_OPSETS.max)) {
    throw new OnnxError(
      `${source} uses operator set ${opset}; the lab imports opsets ${ONNX_OPSETS.min} to ${ONNX_OPSETS.max}`,
    );
  }
  if (graph.inputs.length !== 1 || graph.outputs.length !== 1) {
    throw new OnnxError(
      `${source} has ${graph.inputs.length} inputs and ${graph.outputs.length} outputs; the lab imports classifiers with one input (the images) and one output (the class scores)`,
    );
  }
  const [input] = graph.inputs;
  const [output] = graph.outputs;
  if (input.elemType !== ONNX_DATA_TYPES.float) {
    throw new OnnxError(`${source}: input "${input.name}" is not a float tensor`);
  }
  if (!input.shape || input.shape.length < 2 || input.shape.length > 4) {
    throw new OnnxError(
      `${source}: input "${input.name}" has ${input.shape ? `shape [${input.shape.join(', ')}]` : 'no stated shape'}; the lab imports [N, C, H, W] images or [N, F] features`,
    );
  }
  const perImage = input.shape.slice(1);
  if (perImage.some((d) => typeof d !== 'number' || d < 1)) {
    throw new OnnxError(
      `${source}: input "${input.name}" has shape [${input.shape.map((d) => d ?? '?').join(', ')}]; only the batch (the first dimension) may vary`,
    );
  }
  const dims = perImage as number[];
  const staticBatch = typeof input.shape[0] === 'number' ? input.shape[0] : null;

  const readers = new Map<string, number>();
  for (const node of graph.nodes) {
    for (const name of node.inputs) if (name) readers.set(name, (readers.get(name) ?? 0) + 1);
  }
  readers.set(output.name, (readers.get(output.name) ?? 0) + 1);
  const cx = new Conversion(source, opset, readers, staticBatch, output.name);
  for (const [name, tensor] of graph.initializers) {
    const constant = constantOf(tensor);
    if (constant) cx.values.set(name, constant);
  }
  const inputName = input.name.replace(LAYER_NAME_CHARACTERS, '_') || 'input';
  cx.current = {
    node: {
      name: inputName,
      opType: 'Input',
      domain: '',
      inputs: [],
      outputs: [],
      attributes: new Map(),
    },
    index: 0,
  };
  cx.freshName();
  const layout = dims.length === 3 ? 'NCHW' : dims.length === 1 ? 'NC' : 'other';
  if (dims.length === 3) {
    const [c, h, w] = dims;
    cx.nodes.push(inputNode(inputName, [h, w, c]));
    cx.values.set(input.name, {
      kind: 'tensor',
      node: inputName,
      shape: dims,
      labShape: [h, w, c],
      order: imageOrder(c, h, w),
    });
  } else {
    cx.nodes.push(inputNode(inputName, dims));
    cx.values.set(input.name, {
      kind: 'tensor',
      node: inputName,
      shape: dims,
      labShape: dims,
      order: null,
    });
  }

  graph.nodes.forEach((node, index) => {
    cx.current = { node, index };
    if (node.domain !== '' && node.domain !== 'ai.onnx') {
      throw cx.refuse(
        `is in domain "${node.domain.slice(0, 40)}"; the lab imports the default ONNX operators`,
      );
    }
    if (!Object.hasOwn(OP_CONVERTERS, node.opType)) {
      throw cx.refuse(`is not an op the lab imports (it imports ${SUPPORTED_ONNX_OPS.join(', ')})`);
    }
    OP_CONVERTERS[node.opType](cx);
  });

  return {
    cx,
    input: { name: input.name, shape: [...input.shape], layout },
    outputName: output.name,
    output: cx.values.get(output.name),
  };
}

/** An ONNX image classifier as a lab graph whose output is class probabilities. */
export function graphFromOnnx(model: OnnxModel, source: string): OnnxImport {
  const { cx, input, outputName, output: result } = convertOnnx(model, source);
  const output = { name: outputName };
  if (!result || result.kind !== 'tensor') {
    throw new OnnxError(
      `${source}: the output "${output.name}" is ${result ? 'a constant' : 'made by no node'}, not class scores`,
    );
  }
  let logits: TensorValue = result;
  const classes = logits.shape[0];
  if (logits.shape.slice(1).some((d) => d !== 1) || orderArray(logits.order) !== null) {
    const why = logits.shape.slice(1).some((d) => d !== 1)
      ? ''
      : ' in an order the lab does not hold';
    throw new OnnxError(
      `${source}: the output "${output.name}" is [N, ${logits.shape.join(', ')}]${why}; the lab imports classifiers whose output is class scores [N, K]`,
    );
  }
  cx.current = {
    node: {
      name: logits.node,
      opType: 'Output',
      domain: '',
      inputs: [],
      outputs: [],
      attributes: new Map(),
    },
    index: model.graph.nodes.length,
  };
  if (logits.labShape.length !== 1) {
    logits = { ...logits, node: cx.emit('Flatten', {}, [logits.node]), labShape: [classes] };
  }
  const last = cx.labNode(logits.node);
  const logProbabilities = last.config.logOf === true;
  const isSoftmax =
    last.className === 'Softmax' ||
    (last.className === 'Activation' && last.config.activation === 'softmax');
  let outputNode = logits.node;
  let appendedSoftmax: string | null = null;
  if (!isSoftmax) {
    appendedSoftmax = cx.emit('Softmax', { axis: -1 }, [logits.node], [], '_softmax');
    outputNode = appendedSoftmax;
  }
  const labGraph = new LayerGraph(reachable(cx.nodes, outputNode), outputNode);
  try {
    labGraph.checkShapes();
    const shape = labGraph.outputShapeOf(logits.node);
    if (shape.length !== 1 || shape[0] !== classes) {
      throw new GraphError(`the lab computes [${shape.join(', ')}] where ONNX has [${classes}]`);
    }
  } catch (err) {
    throw new OnnxError(`${source}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return {
    graph: labGraph,
    input,
    outputName,
    logits: logits.node,
    logProbabilities,
    appendedSoftmax,
  };
}
