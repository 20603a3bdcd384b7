/**
 * Loads a tfjs LayersModel (model.json + weight files) through an AssetReader, so the page,
 * the worker and Node share one loader. Every failure becomes a ModelLoadError that names the
 * file and the problem: unreadable, not JSON, not a LayersModel, a weights path that leaves the
 * model's folder, truncated weights, unknown layer, weights that do not fit the layers.
 *
 * Weights are read as users have them: float32, int32 and bool tensors at their real byte size,
 * and the weight quantization of tfjs-converter (`--quantize_uint8`, `--quantize_uint16`,
 * `--quantize_float16`), dequantized by tfjs's rules:
 *
 *   uint8 / uint16 (1 / 2 bytes per value): value = q * scale + min, for float32 weights
 *                                           (rounded to the nearest whole number for int32)
 *   float16 (2 bytes per value):            IEEE half precision, float32 weights only
 *
 * Values are little-endian. The artifacts handed on hold plain float32 / int32 / bool weights.
 * A model that fails to build leaves no tensor or variable behind.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { AssetReader } from '../assets.ts';
import { declaredWeights, field, isObject, reference, type Json } from './declared-weights.ts';
import { ModelLoadError } from './errors.ts';
import { SUPPORTED_LAYERS } from './graph.ts';

/** The largest model.json the lab reads (the topology of a small CNN is a few kB). */
const MAX_MODEL_JSON_BYTES = 16 * 2 ** 20;
/** How deep the model.json's objects and arrays may nest (tfjs's own use about 10 levels). */
const MAX_JSON_DEPTH = 64;
/** The most weights (values) a model may hold: 2^28 (1 GiB as float32). */
const MAX_WEIGHT_VALUES = 2 ** 28;

const quantizationSchema = z.object({
  dtype: z.string(),
  min: z.number().optional(),
  scale: z.number().optional(),
});
const weightSpec = z.object({
  name: z.string().max(1000),
  shape: z.array(z.number().int().nonnegative()).max(16),
  dtype: z.string(),
  group: z.string().optional(),
  quantization: quantizationSchema.optional(),
});
const modelJsonSchema = z.object({
  modelTopology: z.record(z.string(), z.unknown()),
  weightsManifest: z.array(z.object({ paths: z.array(z.string()), weights: z.array(weightSpec) })),
});
type WeightSpec = z.infer<typeof weightSpec>;

/** Bytes per stored value of each dtype a weight may have, quantized or not. */
const STORED_BYTES: Readonly<Record<string, number>> = {
  float32: 4,
  int32: 4,
  bool: 1,
  uint8: 1,
  uint16: 2,
  float16: 2,
};
const OUTPUT_BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1 };

function dirOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash + 1);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const quote = (text: string) => JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text);

/**
 * A weights path from a manifest, checked to stay inside the model's folder: relative, no `..`
 * or `.` segments, no backslashes, drive letters, colons or percent-escapes (which a server may
 * decode into separators).
 */
export function checkWeightsPath(path: string, modelJsonPath: string): string {
  const segments = path.split('/');
  const leaves =
    path === '' ||
    path.startsWith('/') ||
    /[\\:%?#\0]/.test(path) ||
    segments.some((s) => s === '' || s === '.' || s === '..');
  if (leaves) {
    throw new ModelLoadError(
      `${modelJsonPath} lists the weights path ${quote(path)}, which leaves the model's folder (weights must sit beside model.json or below it)`,
    );
  }
  return path;
}

/** Depth of nested objects and arrays, without recursion (a crafted file may nest deeply). */
function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [item, depth] = stack.pop()!;
    if (typeof item !== 'object' || item === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_JSON_DEPTH) return deepest;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return deepest;
}

interface DecodedSpec {
  readonly spec: WeightSpec;
  /** The dtype the weight has once read (its own; a quantized weight's original dtype). */
  readonly dtype: 'float32' | 'int32' | 'bool';
  readonly size: number;
  readonly storedBytes: number;
}

/** Checks one manifest entry the way tfjs's decodeWeights would accept it. */
function describeWeight(spec: WeightSpec, modelJsonPath: string): DecodedSpec {
  const what = `${modelJsonPath}: weight ${quote(spec.name)}`;
  const dtype = spec.dtype;
  if (!Object.hasOwn(OUTPUT_BYTES, dtype)) {
    throw new ModelLoadError(
      `${what} has dtype ${quote(dtype)}; the lab reads float32, int32 and bool weights`,
    );
  }
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const q = spec.quantization;
  let stored = dtype;
  if (q) {
    stored = q.dtype;
    if (q.dtype === 'uint8' || q.dtype === 'uint16') {
      if (!Number.isFinite(q.min) || !Number.isFinite(q.scale)) {
        throw new ModelLoadError(
          `${what} is quantized to ${q.dtype} but its manifest lacks a finite min and scale`,
        );
      }
      if (dtype === 'bool') {
        throw new ModelLoadError(`${what}: bool weights cannot be quantized (${q.dtype})`);
      }
    } else if (q.dtype === 'float16') {
      if (dtype !== 'float32') {
        throw new ModelLoadError(
          `${what} is quantized to float16, which only float32 weights can be (it is ${dtype})`,
        );
      }
    } else {
      throw new ModelLoadError(
        `${what} has quantization ${quote(q.dtype)} (tfjs knows uint8, uint16 and float16)`,
      );
    }
  }
  return {
    spec,
    dtype: dtype as DecodedSpec['dtype'],
    size,
    storedBytes: size * STORED_BYTES[stored],
  };
}

/** IEEE 754 half-precision bits to the float32 of the same value, bit for bit. */
export function float16BitsToFloat32Bits(half: number): number {
  const sign = (half & 0x8000) << 16;
  const exponent = (half >> 10) & 0x1f;
  let mantissa = half & 0x3ff;
  if (exponent === 0x1f) return (sign | 0x7f800000 | (mantissa << 13)) >>> 0; // inf, NaN
  if (exponent !== 0) return (sign | ((exponent - 15 + 127) << 23) | (mantissa << 13)) >>> 0;
  if (mantissa === 0) return sign >>> 0; // +-0
  // Subnormal half: shift the mantissa up until its leading one is the implicit bit.
  let e = -14;
  while ((mantissa & 0x400) === 0) {
    mantissa <<= 1;
    e--;
  }
  return (sign | ((e + 127) << 23) | ((mantissa & 0x3ff) << 13)) >>> 0;
}

/** One weight's values as tfjs reads them, written as its plain dtype into `out`. */
function decodeWeight(d: DecodedSpec, bytes: Uint8Array, out: Uint8Array): void {
  const src = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dst = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const q = d.spec.quantization;
  if (!q) {
    out.set(bytes);
    return;
  }
  if (q.dtype === 'float16') {
    for (let i = 0; i < d.size; i++) {
      dst.setUint32(4 * i, float16BitsToFloat32Bits(src.getUint16(2 * i, true)), true);
    }
    return;
  }
  const wide = q.dtype === 'uint16';
  const min = q.min!;
  const scale = q.scale!;
  for (let i = 0; i < d.size; i++) {
    const level = wide ? src.getUint16(2 * i, true) : src.getUint8(i);
    const value = level * scale + min;
    if (d.dtype === 'int32') dst.setInt32(4 * i, Math.round(value), true);
    else dst.setFloat32(4 * i, value, true);
  }
}

type ModelJson = z.infer<typeof modelJsonSchema>;

/** A model.json's bytes, parsed and checked to be a LayersModel's (size, nesting, fields). */
function parseModelJson(raw: ArrayBuffer, modelJsonPath: string): ModelJson {
  if (raw.byteLength > MAX_MODEL_JSON_BYTES) {
    throw new ModelLoadError(
      `${modelJsonPath} is ${raw.byteLength} bytes; a model.json the lab reads is at most ${MAX_MODEL_JSON_BYTES}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(raw));
  } catch {
    throw new ModelLoadError(`${modelJsonPath} is not valid JSON (truncated or not a model file?)`);
  }
  if (depthOf(json) > MAX_JSON_DEPTH) {
    throw new ModelLoadError(`${modelJsonPath} nests deeper than ${MAX_JSON_DEPTH} levels`);
  }
  const parsed = modelJsonSchema.safeParse(json);
  if (!parsed.success) {
    throw new ModelLoadError(
      `${modelJsonPath} is not a tfjs LayersModel (it needs modelTopology and weightsManifest)`,
    );
  }
  return parsed.data;
}

/**
 * The weight files a model.json lists, each checked by checkWeightsPath: every reader of a
 * manifest's paths (the loader, the CLI's id of imported files) goes through this, so none
 * reads a path outside the model's folder.
 */
export function weightsPathsOf(modelJson: ArrayBuffer, modelJsonPath: string): string[] {
  return manifestPaths(parseModelJson(modelJson, modelJsonPath).weightsManifest, modelJsonPath);
}

function manifestPaths(manifest: ModelJson['weightsManifest'], modelJsonPath: string): string[] {
  return manifest.flatMap((group) => group.paths).map((p) => checkWeightsPath(p, modelJsonPath));
}

/** The model.json, parsed and checked, with its weights read: ready for modelFromArtifacts. */
export async function readModelArtifacts(
  read: AssetReader,
  modelJsonPath: string,
): Promise<tf.io.ModelArtifacts> {
  let raw: ArrayBuffer;
  try {
    raw = await read(modelJsonPath);
  } catch (err) {
    throw new ModelLoadError(`cannot read the model: ${message(err)}`);
  }
  const { modelTopology, weightsManifest } = parseModelJson(raw, modelJsonPath);
  const weights = weightsManifest.flatMap((group) => group.weights);
  const decoded = weights.map((w) => describeWeight(w, modelJsonPath));
  const values = decoded.reduce((sum, d) => sum + d.size, 0);
  if (values > MAX_WEIGHT_VALUES) {
    throw new ModelLoadError(
      `${modelJsonPath} declares ${values} weights; the lab reads at most ${MAX_WEIGHT_VALUES}`,
    );
  }
  const expectedBytes = decoded.reduce((sum, d) => sum + d.storedBytes, 0);
  const paths = manifestPaths(weightsManifest, modelJsonPath);
  const files: Uint8Array[] = [];
  let actualBytes = 0;
  for (const path of paths) {
    let file: Uint8Array;
    try {
      file = new Uint8Array(await read(`${dirOf(modelJsonPath)}${path}`));
    } catch (err) {
      throw new ModelLoadError(`cannot read the model's weights: ${message(err)}`);
    }
    files.push(file);
    actualBytes += file.length;
    if (actualBytes > expectedBytes) break; // already too long: no need to read the rest
  }
  if (actualBytes !== expectedBytes) {
    throw new ModelLoadError(
      `the weights of ${modelJsonPath} hold ${actualBytes}${actualBytes > expectedBytes ? ' or more' : ''} bytes but its manifest needs ${expectedBytes} (truncated or mismatched files)`,
    );
  }
  const stored = new Uint8Array(actualBytes);
  let offset = 0;
  for (const f of files) {
    stored.set(f, offset);
    offset += f.length;
  }
  const weightData = new Uint8Array(
    decoded.reduce((sum, d) => sum + d.size * OUTPUT_BYTES[d.dtype], 0),
  );
  let inPos = 0;
  let outPos = 0;
  for (const d of decoded) {
    const outBytes = d.size * OUTPUT_BYTES[d.dtype];
    decodeWeight(
      d,
      stored.subarray(inPos, inPos + d.storedBytes),
      weightData.subarray(outPos, outPos + outBytes),
    );
    inPos += d.storedBytes;
    outPos += outBytes;
  }
  const weightSpecs: tf.io.WeightsManifestEntry[] = decoded.map(({ spec, dtype }) => ({
    name: spec.name,
    shape: spec.shape,
    dtype,
    ...(spec.group === 'model' || spec.group === 'optimizer' ? { group: spec.group } : {}),
  }));
  return { modelTopology, weightSpecs, weightData: weightData.buffer };
}

/** Names tfjs-layers gives its variables (its isValidTensorName). */
const TENSOR_NAME = /^[A-Za-z0-9][-A-Za-z0-9._/]*$/;
/** The most layers a model may have (the lab's models have tens). */
const MAX_LAYERS = 5000;

/**
 * Checks the topology's shape before tfjs builds it: a Sequential or functional model of layers
 * the lab supports, whose connections all resolve. tfjs-layers loops forever on a functional
 * model that reads a layer it does not have, a node that is never made, or a cycle.
 */
function checkTopology(topology: Json, source: string): void {
  const model = isObject(topology.model_config) ? topology.model_config : topology;
  const className = model.class_name ?? model.className;
  const config = model.config;
  const notAModel = () =>
    new ModelLoadError(`${source} is not a Sequential or functional tfjs LayersModel`);
  let layers: unknown;
  if (className === 'Sequential') {
    layers = Array.isArray(config) ? config : isObject(config) ? config.layers : undefined;
  } else if (className === 'Model' || className === 'Functional') {
    layers = isObject(config) ? config.layers : undefined;
  } else {
    throw notAModel();
  }
  if (!Array.isArray(layers) || layers.length === 0) throw notAModel();
  if (layers.length > MAX_LAYERS) {
    throw new ModelLoadError(
      `${source} has ${layers.length} layers; the lab reads at most ${MAX_LAYERS}`,
    );
  }
  for (const layer of layers) {
    const type = isObject(layer) ? (layer.class_name ?? layer.className) : undefined;
    if (typeof type !== 'string' || !isObject(layer!.config)) {
      throw new ModelLoadError(`${source} lists a layer without a class and a config`);
    }
    const name = (layer!.config as Json).name;
    if (name !== undefined && (typeof name !== 'string' || !TENSOR_NAME.test(name))) {
      throw new ModelLoadError(
        `${source}: ${quote(String(name))} is not a layer name tfjs accepts (letters, digits, - . _ /)`,
      );
    }
    if (!(SUPPORTED_LAYERS as readonly string[]).includes(type)) {
      throw new ModelLoadError(
        `${source} uses layer type ${type.slice(0, 60)}, which the lab does not support (supported: ${SUPPORTED_LAYERS.join(', ')})`,
      );
    }
  }
  if (className === 'Sequential') return;

  // Functional: replay how tfjs makes each layer's nodes, without building anything.
  const made = new Map<string, number>();
  const pending: { layer: string; refs: NonNullable<ReturnType<typeof reference>>[] }[] = [];
  for (const layer of layers as Json[]) {
    // tfjs finds a layer by the name beside its config and its nodes by the one inside it.
    const name = layer.name;
    if (typeof name !== 'string' || name !== (layer.config as Json).name || made.has(name)) {
      throw new ModelLoadError(
        `${source}: every layer needs a name of its own, the same beside and inside its config`,
      );
    }
    const isInput = (layer.class_name ?? layer.className) === 'InputLayer';
    made.set(name, isInput ? 1 : 0);
    const nodes = field(layer, 'inbound_nodes', 'inboundNodes') ?? [];
    if (!Array.isArray(nodes))
      throw new ModelLoadError(`${source}: layer ${quote(name)} has unreadable inbound nodes`);
    for (const node of nodes) {
      const refs = Array.isArray(node) ? node.map(reference) : [undefined];
      if (refs.length === 0 || refs.some((r) => r === undefined)) {
        throw new ModelLoadError(`${source}: layer ${quote(name)} has unreadable inbound nodes`);
      }
      pending.push({ layer: name, refs: refs as NonNullable<ReturnType<typeof reference>>[] });
    }
  }
  const ready = (ref: { layer: string; node: number }) => (made.get(ref.layer) ?? 0) > ref.node;
  for (let progress = true; progress && pending.length;) {
    progress = false;
    for (let i = 0; i < pending.length; i++) {
      if (!pending[i].refs.every(ready)) continue;
      made.set(pending[i].layer, made.get(pending[i].layer)! + 1);
      pending.splice(i--, 1);
      progress = true;
    }
  }
  if (pending.length) {
    const missing = pending[0].refs.find((r) => !ready(r))!;
    throw new ModelLoadError(
      `${source}: layer ${quote(pending[0].layer)} reads ${quote(missing.layer)}, which the model never computes (a missing layer or a cycle)`,
    );
  }
  for (const key of ['input_layers', 'output_layers'] as const) {
    const ends = field(
      config as Json,
      key,
      key === 'input_layers' ? 'inputLayers' : 'outputLayers',
    );
    const refs = Array.isArray(ends) ? ends.map(reference) : [];
    if (refs.length === 0 || refs.some((r) => r === undefined || !ready(r) || r.tensor !== 0)) {
      throw new ModelLoadError(`${source}: the model's ${key.replace('_', ' ')} do not resolve`);
    }
  }
}

/**
 * The topology as the lab builds it: every initializer replaced by zeros (the weights are
 * overwritten at once, so this only spares the time and the warnings of random initializers,
 * as tfjs's own fastWeightInit does when it loads weights), and no regularizers or constraints
 * (they only act when tfjs-layers trains the model, which the lab never does; a damaged one can
 * stall tfjs while it builds the model).
 */
function topologyForLoading(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(topologyForLoading);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const name = key.toLowerCase();
    if (name.endsWith('initializer') && typeof child === 'object' && child !== null) {
      out[key] = { class_name: 'Zeros', config: {} };
    } else if (name.endsWith('regularizer') || name.endsWith('constraint')) {
      out[key] = null;
    } else {
      out[key] = topologyForLoading(child);
    }
  }
  return out;
}

function bytesPerValue(dtype: string): number {
  return OUTPUT_BYTES[dtype] ?? 4;
}

/** The tensors of artifacts' plain weight data, by name (for the model, not its optimizer). */
function weightTensors(artifacts: tf.io.ModelArtifacts, source: string): Map<string, tf.Tensor> {
  const data = new Uint8Array(
    tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0)),
  );
  const tensors = new Map<string, tf.Tensor>();
  let offset = 0;
  try {
    for (const spec of artifacts.weightSpecs ?? []) {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      const bytes = size * bytesPerValue(spec.dtype);
      const chunk = data.slice(offset, offset + bytes);
      offset += bytes;
      if (chunk.length !== bytes) throw new ModelLoadError(`${source}: the weights are truncated`);
      if (spec.group === 'optimizer') continue;
      if (tensors.has(spec.name)) {
        throw new ModelLoadError(`${source} lists the weight ${quote(spec.name)} twice`);
      }
      const values =
        spec.dtype === 'int32'
          ? new Int32Array(chunk.buffer)
          : spec.dtype === 'bool'
            ? chunk
            : new Float32Array(chunk.buffer);
      tensors.set(spec.name, tf.tensor(values, spec.shape, spec.dtype as 'float32'));
    }
    return tensors;
  } catch (err) {
    tf.dispose([...tensors.values()]);
    throw err;
  }
}

const shapeMismatch = (
  name: string,
  inManifest: readonly number[],
  needed: readonly (number | null)[],
) =>
  `weight ${quote(name)} is [${inManifest.join(', ')}] in the weights manifest but its layer needs [${needed.join(', ')}]`;
const lacking = (missing: readonly string[]) =>
  `the weights manifest lacks ${missing.slice(0, 3).map(quote).join(', ')}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''}`;

/**
 * Counts the weights the topology's layers declare, from their configs alone, and refuses the
 * model before tfjs allocates them when they exceed the lab's limit or the weights the
 * manifest holds (a model would then need weights the file does not have). A topology that
 * declares fewer is left to checkWeightsFit, which names the weight no layer holds.
 */
function checkDeclaredWeights(artifacts: tf.io.ModelArtifacts, source: string): void {
  const declared = declaredWeights(artifacts.modelTopology as Json);
  const total = declared.reduce((sum, w) => sum + w.size, 0);
  if (total > MAX_WEIGHT_VALUES) {
    const largest = declared.reduce((a, b) => (b.size > a.size ? b : a));
    throw new ModelLoadError(
      `${source}: its layers declare ${total.toLocaleString('en-US')} weights (${quote(largest.name)} alone [${largest.shape.join(', ')}]); the lab reads at most ${MAX_WEIGHT_VALUES.toLocaleString('en-US')}`,
    );
  }
  const inManifest = (artifacts.weightSpecs ?? []).filter((s) => s.group !== 'optimizer');
  const held = inManifest.reduce((sum, s) => sum + s.shape.reduce((a, b) => a * b, 1), 0);
  if (total <= held) return;
  const byName = new Map(inManifest.map((s) => [s.name, s.shape]));
  const missing = declared.filter((w) => !byName.has(w.name)).map((w) => w.name);
  const misshapen = declared.find(
    (w) => byName.has(w.name) && byName.get(w.name)!.join(',') !== w.shape.join(','),
  );
  const why = misshapen
    ? shapeMismatch(misshapen.name, byName.get(misshapen.name)!, misshapen.shape)
    : missing.length && missing.length < declared.length
      ? lacking(missing)
      : `its layers declare ${total.toLocaleString('en-US')} weights but its weights manifest holds ${held.toLocaleString('en-US')}`;
  throw new ModelLoadError(`${source}: ${why}`);
}

/**
 * Checks that the manifest's weights are exactly the model's, with the model's shapes, so a
 * mismatch is named clearly. Keras 3 names weights by layer and position ("dense/0"), which
 * tfjs's loadWeights maps itself; those are left to it.
 */
function checkWeightsFit(model: tf.LayersModel, weights: Map<string, tf.Tensor>, source: string) {
  const first = weights.keys().next().value;
  if (first !== undefined && !Number.isNaN(parseInt(first.split('/').pop()!, 10))) return;
  const needed = new Map(model.weights.map((w) => [w.originalName, w]));
  for (const [name, tensor] of weights) {
    const target = needed.get(name);
    if (!target) {
      throw new ModelLoadError(
        `${source}: the weights manifest has ${quote(name)}, which no layer of the model holds`,
      );
    }
    if (target.shape.join(',') !== tensor.shape.join(',')) {
      throw new ModelLoadError(`${source}: ${shapeMismatch(name, tensor.shape, target.shape)}`);
    }
    if (target.dtype !== tensor.dtype) {
      throw new ModelLoadError(
        `${source}: weight ${quote(name)} is ${tensor.dtype} in the weights manifest but its layer holds ${target.dtype}`,
      );
    }
    needed.delete(name);
  }
  const missing = [...needed.keys()];
  if (missing.length) {
    throw new ModelLoadError(`${source}: ${lacking(missing)}`);
  }
}

/**
 * Disposes a LayersModel and every variable it holds. tfjs's own dispose counts how often each
 * layer was called and keeps the weights of a layer called twice (a shared layer), which the lab
 * refuses after building: those would stay on the engine.
 */
export function disposeModel(model: tf.LayersModel): void {
  const variables = model.weights.map((w) => w.read());
  try {
    model.dispose();
  } catch {
    // a half-built model; its variables go below
  }
  for (const v of variables) if (!v.isDisposed) v.dispose();
}

/**
 * Builds a LayersModel from artifacts on the active backend. On any failure, every variable
 * and tensor made on the way is disposed.
 */
export async function modelFromArtifacts(
  artifacts: tf.io.ModelArtifacts,
  source: string,
): Promise<tf.LayersModel> {
  const engine = tf.engine();
  const variablesBefore = new Set(Object.keys(engine.registeredVariables));
  let model: tf.LayersModel | undefined;
  let weights: Map<string, tf.Tensor> | undefined;
  try {
    checkTopology(artifacts.modelTopology as Json, source);
    checkDeclaredWeights(artifacts, source);
    // tfjs builds the model synchronously inside modelFromJSON (there is nothing to fetch), so
    // a scope around the call catches every plain tensor it makes; one it leaves behind when a
    // layer fails half-way is disposed with the scope. Variables are not scoped: they stay.
    engine.startScope();
    let building: Promise<tf.LayersModel>;
    try {
      building = tf.models.modelFromJSON({
        modelTopology: topologyForLoading(
          artifacts.modelTopology,
        ) as tf.io.ModelJSON['modelTopology'],
      });
    } finally {
      engine.endScope();
    }
    model = await building;
    weights = weightTensors(artifacts, source);
    checkWeightsFit(model, weights, source);
    model.loadWeights(Object.fromEntries(weights), true);
    return model;
  } catch (err) {
    if (model) disposeModel(model);
    for (const [name, variable] of Object.entries(engine.registeredVariables)) {
      if (!variablesBefore.has(name)) variable.dispose();
    }
    if (err instanceof ModelLoadError) throw err;
    const text = message(err);
    const unknown = /Unknown layer: (\w+)/.exec(text);
    if (unknown) {
      throw new ModelLoadError(
        `${source} uses layer type ${unknown[1]}, which the lab does not support (supported: ${SUPPORTED_LAYERS.join(', ')})`,
      );
    }
    throw new ModelLoadError(`${source} could not be built: ${text.split('\n')[0].slice(0, 300)}`);
  } finally {
    if (weights) tf.dispose([...weights.values()]);
  }
}

/**
 * Checks that a model reads one MNIST digit ([784] or [28, 28, 1]) and scores 10 classes.
 * Returns its input shape without the batch dimension.
 */
export function checkDigitModel(model: tf.LayersModel, source: string): number[] {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new ModelLoadError(`${source} must have one input and one output`);
  }
  const input = model.inputs[0].shape.slice(1);
  const output = model.outputs[0].shape.slice(1);
  const inputText = JSON.stringify(input);
  if (inputText !== '[784]' && inputText !== '[28,28,1]') {
    throw new ModelLoadError(
      `${source} takes input ${inputText.replace(/null/g, '?')}; the lab feeds 28x28 digits as [28,28,1] or [784]`,
    );
  }
  if (JSON.stringify(output) !== '[10]') {
    throw new ModelLoadError(
      `${source} outputs ${JSON.stringify(output).replace(/null/g, '?')}; the lab needs 10 class scores`,
    );
  }
  return input as number[];
}
