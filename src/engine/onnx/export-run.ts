/**
 * The ONNX file of a run's final graph, taking the same input and giving the same output as
 * the model that came in: for an imported ONNX model its input name and shape and its output
 * name (the Softmax the importer appended dropped again, so a logits model exports logits,
 * and a LogSoftmax model ends in LogSoftmax again); for the shipped models the graph's own
 * input in NCHW ([N, 1, 28, 28] for the conv nets, [N, 784] for the flat MLPs). Verified
 * before it is handed out: the bytes are decoded, imported again and must classify as many
 * test images correctly as the run reported.
 */
import { LayerGraph } from '../model/graph.ts';
import { decodeOnnx } from './decode.ts';
import { encodeOnnx } from './encode.ts';
import { OnnxExportError, onnxFromGraph } from './from-graph.ts';
import { OnnxError, type OnnxModel, type OnnxNode, type OnnxTensor } from './onnx-model.ts';
import { graphFromOnnx, type OnnxImport } from './to-graph.ts';

/** What an export keeps of an imported model to give back its input and output. */
export type OnnxOrigin = Omit<OnnxImport, 'graph'>;

/** The run's graph without the Softmax the importer appended (its output at the logits). */
function withoutAppendedSoftmax(graph: LayerGraph, origin: OnnxOrigin | undefined): LayerGraph {
  const appended = origin?.appendedSoftmax;
  if (!appended || graph.output !== appended) return graph;
  const softmax = graph.nodes.find((n) => n.name === appended)!;
  return new LayerGraph(
    graph.nodes.filter((n) => n !== softmax),
    softmax.inbound[0],
  );
}

/** Every tensor name the model uses (node outputs, initializers, graph inputs). */
function tensorNames(model: OnnxModel): Set<string> {
  const { graph } = model;
  return new Set([
    ...graph.nodes.flatMap((n) => n.outputs),
    ...graph.initializers.keys(),
    ...graph.inputs.map((i) => i.name),
  ]);
}

/** The model with tensor `from` called `to` (a tensor already called `to` renamed first). */
function renameTensor(model: OnnxModel, from: string, to: string): OnnxModel {
  if (from === to) return model;
  const names = tensorNames(model);
  if (names.has(to)) {
    let free = `${to}_lab`;
    for (let k = 2; names.has(free); k++) free = `${to}_lab${k}`;
    model = renameTensor(model, to, free);
  }
  const swap = (name: string) => (name === from ? to : name);
  const { graph } = model;
  const initializers = new Map<string, OnnxTensor>();
  for (const [name, tensor] of graph.initializers) {
    initializers.set(swap(name), { ...tensor, name: swap(name) });
  }
  return {
    ...model,
    graph: {
      ...graph,
      nodes: graph.nodes.map((n): OnnxNode => ({
        ...n,
        name: swap(n.name),
        inputs: n.inputs.map(swap),
        outputs: n.outputs.map(swap),
      })),
      initializers,
      inputs: graph.inputs.map((i) => ({ ...i, name: swap(i.name) })),
      outputs: graph.outputs.map((o) => ({ ...o, name: swap(o.name) })),
    },
  };
}

/** The last node's Softmax made a LogSoftmax (the lab's Softmax stands for the model's). */
function asLogSoftmax(model: OnnxModel): OnnxModel {
  const output = model.graph.outputs[0].name;
  const last = model.graph.nodes.find((n) => n.outputs.includes(output));
  if (last?.opType !== 'Softmax') {
    throw new OnnxExportError(
      `the model came in ending in LogSoftmax, but the compressed graph ends in ${last?.opType ?? 'no node'}; it is not exported`,
    );
  }
  const nodes = model.graph.nodes.map((n) => (n === last ? { ...n, opType: 'LogSoftmax' } : n));
  return { ...model, graph: { ...model.graph, nodes } };
}

/**
 * The ONNX model of a run's final graph. With `origin` (an imported model), the input and
 * output carry the names, and the input the shape, the model came with.
 */
export function onnxOfRun(graph: LayerGraph, origin?: OnnxOrigin): OnnxModel {
  let model = onnxFromGraph(withoutAppendedSoftmax(graph, origin));
  if (!origin) return model;
  const exportedInput = model.graph.inputs[0];
  const dims = (shape: readonly unknown[] | null) => (shape ?? []).slice(1).join(', ');
  if (dims(exportedInput.shape) !== dims(origin.input.shape)) {
    throw new OnnxExportError(
      `the model came in taking "${origin.input.name}" of shape [${origin.input.shape.join(', ')}], the compressed graph takes [${exportedInput.shape?.join(', ')}]; it is not exported`,
    );
  }
  if (origin.logProbabilities) model = asLogSoftmax(model);
  model = renameTensor(model, exportedInput.name, origin.input.name);
  model = renameTensor(model, model.graph.outputs[0].name, origin.outputName);
  const { graph: g } = model;
  return {
    ...model,
    graph: {
      ...g,
      inputs: [{ ...g.inputs[0], shape: [...origin.input.shape] }],
      outputs: [
        { ...g.outputs[0], shape: [origin.input.shape[0], ...g.outputs[0].shape!.slice(1)] },
      ],
    },
  };
}

/** The run's figures an ONNX file must match. */
export interface ReportedCorrect {
  readonly correct: number;
  readonly total: number;
}

export interface VerifiedOnnxFile {
  readonly bytes: Uint8Array;
  readonly model: OnnxModel;
  /** Test images the re-imported file classifies correctly (equal to the run's). */
  readonly correct: number;
}

/**
 * Encodes the run's graph as ONNX, decodes and imports the bytes again and counts their
 * correct test images with `countCorrect`: OnnxExportError naming both counts when it differs
 * from the run's, so a file that is not the model reported is never handed out.
 */
export async function verifiedOnnxFile(
  graph: LayerGraph,
  origin: OnnxOrigin | undefined,
  run: ReportedCorrect,
  countCorrect: (imported: LayerGraph) => Promise<number>,
): Promise<VerifiedOnnxFile> {
  const model = onnxOfRun(graph, origin);
  const bytes = encodeOnnx(model);
  let again: OnnxImport;
  try {
    again = graphFromOnnx(decodeOnnx(bytes, 'the exported model'), 'the exported model');
  } catch (error) {
    // Activation quantization (QuantizeLinear on a computed tensor) is written but not imported yet.
    if (!(error instanceof OnnxError)) throw error;
    throw new OnnxExportError(
      `the ONNX file was not written: the lab cannot import it again to check its count (${error.message})`,
    );
  }
  const correct = await countCorrect(again.graph);
  if (correct !== run.correct) {
    throw new OnnxExportError(
      `the ONNX file was not written: imported again, it classifies ${correct} of ${run.total} test images correctly, the run reported ${run.correct}`,
    );
  }
  return { bytes, model, correct };
}
