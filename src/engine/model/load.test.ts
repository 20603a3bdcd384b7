import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AssetReader } from '../assets.ts';
import { Lab } from '../lab.ts';
import { useNodeBackend } from '../node/backend.ts';
import { PUBLIC_DIR } from '../node/assets.ts';
import { parseRecipe } from '../recipe/share.ts';
import { publicAssets } from '../test/fixtures.ts';
import { ModelLoadError } from './errors.ts';
import { float16BitsToFloat32Bits, modelFromArtifacts, readModelArtifacts } from './load.ts';

type Spec = {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; min?: number; scale?: number };
};

/** Files in memory; `reads` records every path asked for. */
function memoryFiles(files: Record<string, Uint8Array | string>) {
  const reads: string[] = [];
  const read: AssetReader = async (path) => {
    reads.push(path);
    const file = files[path];
    if (file === undefined) throw new Error(`no file ${path}`);
    const bytes = typeof file === 'string' ? new TextEncoder().encode(file) : file;
    return bytes.slice().buffer as ArrayBuffer;
  };
  return { read, reads };
}

const modelJson = (topology: unknown, weights: Spec[], paths = ['weights.bin']) =>
  JSON.stringify({ modelTopology: topology, weightsManifest: [{ paths, weights }] });

/** A dense layer 3 -> 2 (kernel [3, 2], bias [2]) as tfjs writes its topology. */
function denseTopology(): unknown {
  const model = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [3], units: 2, name: 'd' })],
  });
  const topology = model.toJSON(undefined, false);
  model.dispose();
  return topology;
}

const u16 = (values: number[]) => new Uint8Array(Uint16Array.from(values).buffer);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

beforeAll(async () => {
  await useNodeBackend('wasm');
});

describe('tfjs-converter weight quantization', () => {
  it('reads uint8 and float16 weights at their real size and dequantizes them', async () => {
    // Kernel: uint8 levels with min -1 and scale 0.5; bias: float16 1 and -2.
    const { read } = memoryFiles({
      'm/model.json': modelJson(denseTopology(), [
        {
          name: 'd/kernel',
          shape: [3, 2],
          dtype: 'float32',
          quantization: { dtype: 'uint8', min: -1, scale: 0.5 },
        },
        { name: 'd/bias', shape: [2], dtype: 'float32', quantization: { dtype: 'float16' } },
      ]),
      'm/weights.bin': concat(Uint8Array.from([0, 1, 2, 3, 254, 255]), u16([0x3c00, 0xc000])),
    });
    const artifacts = await readModelArtifacts(read, 'm/model.json');
    const model = await modelFromArtifacts(artifacts, 'm/model.json');
    const [kernel, bias] = model.getWeights().map((w) => Array.from(w.dataSync()));
    model.dispose();
    expect(kernel).toEqual([-1, -0.5, 0, 0.5, 126, 126.5]);
    expect(bias).toEqual([1, -2]);
  });

  it('reads uint16 weights with their min and scale, rounded to float32 as tfjs does', async () => {
    const levels = [0, 1, 2, 1000, 65534, 65535];
    const { read } = memoryFiles({
      'model.json': modelJson(denseTopology(), [
        {
          name: 'd/kernel',
          shape: [3, 2],
          dtype: 'float32',
          quantization: { dtype: 'uint16', min: 0.25, scale: 0.001 },
        },
        { name: 'd/bias', shape: [2], dtype: 'float32' },
      ]),
      'weights.bin': concat(u16(levels), new Uint8Array(Float32Array.from([3, 4]).buffer)),
    });
    const artifacts = await readModelArtifacts(read, 'model.json');
    expect(artifacts.weightSpecs!.map((s) => s.dtype)).toEqual(['float32', 'float32']);
    expect(Array.from(new Float32Array(artifacts.weightData as ArrayBuffer))).toEqual([
      0.25,
      Math.fround(0.251),
      Math.fround(0.252),
      Math.fround(1.25),
      Math.fround(65.784),
      Math.fround(65.785),
      3,
      4,
    ]);
  });

  it('rounds dequantized int32 weights and counts bool weights as one byte each', async () => {
    const { read } = memoryFiles({
      'model.json': modelJson({}, [
        {
          name: 'steps',
          shape: [3],
          dtype: 'int32',
          quantization: { dtype: 'uint8', min: -10.2, scale: 0.1 },
        },
        { name: 'flags', shape: [3], dtype: 'bool' },
        { name: 'count', shape: [], dtype: 'int32' },
      ]),
      // -10.2 + 0.1 q for q = 0, 3, 255: -10.2, -9.9, 15.3; then bools, then int32 7.
      'weights.bin': concat(Uint8Array.from([0, 3, 255, 1, 0, 1]), Uint8Array.from([7, 0, 0, 0])),
    });
    const artifacts = await readModelArtifacts(read, 'model.json');
    expect(artifacts.weightSpecs).toEqual([
      { name: 'steps', shape: [3], dtype: 'int32' },
      { name: 'flags', shape: [3], dtype: 'bool' },
      { name: 'count', shape: [], dtype: 'int32' },
    ]);
    const bytes = new Uint8Array(artifacts.weightData as ArrayBuffer);
    expect(Array.from(new Int32Array(bytes.slice(0, 12).buffer))).toEqual([-10, -10, 15]);
    expect(Array.from(bytes.slice(12, 15))).toEqual([1, 0, 1]);
    expect(new Int32Array(bytes.slice(15).buffer)[0]).toBe(7);
  });

  it('converts every float16 bit pattern exactly (zeros, subnormals, extremes, inf, NaN)', () => {
    const f32 = (bits: number) => new Float32Array(Uint32Array.of(bits).buffer)[0];
    const cases: [number, number][] = [
      [0x0000, 0],
      [0x8000, -0],
      [0x3c00, 1],
      [0xc000, -2],
      [0x3555, 0.333251953125],
      [0x0001, 2 ** -24], // the smallest subnormal
      [0x03ff, 1023 * 2 ** -24], // the largest subnormal
      [0x0400, 2 ** -14], // the smallest normal
      [0x7bff, 65504], // the largest finite half
      [0x7c00, Infinity],
      [0xfc00, -Infinity],
    ];
    for (const [half, value] of cases) {
      expect(Object.is(f32(float16BitsToFloat32Bits(half)), value)).toBe(true);
    }
    expect(Number.isNaN(f32(float16BitsToFloat32Bits(0x7e00)))).toBe(true);
  });

  it('decodes exactly as tfjs-core decodeWeights does, for every quantization', async () => {
    const quantized = fc.record({
      dtype: fc.constantFrom('float32', 'int32'),
      quant: fc.constantFrom('uint8', 'uint16', 'float16'),
      size: fc.integer({ min: 0, max: 40 }),
      min: fc.double({ min: -100, max: 100, noNaN: true }),
      scale: fc.double({ min: 1e-6, max: 10, noNaN: true }),
      seed: fc.integer(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(quantized, { minLength: 1, maxLength: 4 }), async (weights) => {
        const specs: Spec[] = weights.map((w, i) => ({
          name: `w${i}`,
          shape: [w.size],
          dtype: w.quant === 'float16' ? 'float32' : w.dtype,
          quantization:
            w.quant === 'float16'
              ? { dtype: 'float16' }
              : { dtype: w.quant, min: w.min, scale: w.scale },
        }));
        const parts = weights.map((w) => {
          const bytes = new Uint8Array(w.size * (w.quant === 'uint8' ? 1 : 2));
          let s = w.seed >>> 0;
          for (let i = 0; i < bytes.length; i++) {
            s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
            bytes[i] = s >>> 24;
          }
          return bytes;
        });
        const data = concat(...parts);
        const { read } = memoryFiles({ 'model.json': modelJson({}, specs), 'weights.bin': data });
        const ours = await readModelArtifacts(read, 'model.json');
        const mine = tf.io.decodeWeights(ours.weightData!, ours.weightSpecs!);
        const theirs = tf.io.decodeWeights(
          data.slice().buffer,
          specs as tf.io.WeightsManifestEntry[],
        );
        try {
          for (const spec of specs) {
            expect(mine[spec.name].dtype).toBe(theirs[spec.name].dtype);
            const a = mine[spec.name].dataSync();
            const b = theirs[spec.name].dataSync();
            // Bit for bit, so -0 and NaN payloads count.
            expect(new Uint32Array(new Float32Array(a).buffer)).toEqual(
              new Uint32Array(new Float32Array(b).buffer),
            );
          }
        } finally {
          tf.dispose([...Object.values(mine), ...Object.values(theirs)]);
        }
      }),
      { numRuns: 40 },
    );
  });

  it.each([
    [
      { dtype: 'uint8', scale: 0.1 },
      'float32',
      /quantized to uint8 but its manifest lacks a finite min and scale/,
    ],
    [{ dtype: 'float16' }, 'int32', /quantized to float16, which only float32 weights can be/],
    [{ dtype: 'int4', min: 0, scale: 1 }, 'float32', /quantization "int4"/],
    [undefined, 'string', /dtype "string"; the lab reads float32, int32 and bool/],
  ])('refuses quantization %j of a %s weight with a clear message', async (q, dtype, text) => {
    const { read } = memoryFiles({
      'model.json': modelJson({}, [{ name: 'w', shape: [2], dtype, quantization: q }]),
      'weights.bin': new Uint8Array(8),
    });
    const loading = readModelArtifacts(read, 'model.json');
    await expect(loading).rejects.toThrow(ModelLoadError);
    await expect(loading).rejects.toThrow(text);
  });

  it('runs a uint8-quantized LeNet-300-100 through the lab within a point of the float model', async () => {
    const dir = join(PUBLIC_DIR, 'models', 'lenet300');
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
      modelTopology: unknown;
      weightsManifest: { weights: Spec[] }[];
    };
    const bin = readFileSync(join(dir, 'weights.bin'));
    const floats = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length));
    // Quantize each tensor to 256 levels between its min and max, as tfjs-converter does.
    const specs: Spec[] = [];
    const levels: Uint8Array[] = [];
    let at = 0;
    for (const spec of json.weightsManifest[0].weights) {
      const n = spec.shape.reduce((a, b) => a * b, 1);
      const values = floats.subarray(at, at + n);
      at += n;
      let min = Infinity;
      let max = -Infinity;
      for (const v of values) [min, max] = [Math.min(min, v), Math.max(max, v)];
      const scale = (max - min) / 255 || 1;
      levels.push(Uint8Array.from(values, (v) => Math.round((v - min) / scale)));
      specs.push({ ...spec, quantization: { dtype: 'uint8', min, scale } });
    }
    const { read } = memoryFiles({
      'model.json': modelJson(json.modelTopology, specs, ['group1-shard1of1.bin']),
      'group1-shard1of1.bin': concat(...levels),
    });
    const lab = new Lab({
      read: publicAssets,
      resolveModel: () => ({ read, modelJsonPath: 'model.json' }),
    });
    const quantized = await lab.run(parseRecipe('model=mine/lenet300-uint8.json'));
    const float = await lab.run(parseRecipe('model=lenet300'));
    await lab.dispose();
    expect(quantized.params).toBe(266_610);
    expect(Math.abs(quantized.accuracy - float.accuracy)).toBeLessThanOrEqual(0.01);
  });
});

describe('weights paths in a manifest', () => {
  it.each([
    '../secret.bin',
    'sub/../../secret.bin',
    '/etc/passwd',
    '..\\secret.bin',
    'C:\\weights.bin',
    'c:weights.bin',
    './weights.bin',
    'sub//weights.bin',
    '%2e%2e/secret.bin',
    '',
  ])('refuses %j, naming it, before reading anything', async (path) => {
    const { read, reads } = memoryFiles({
      'models/mine/model.json': modelJson(
        {},
        [{ name: 'w', shape: [1], dtype: 'float32' }],
        [path],
      ),
    });
    const loading = readModelArtifacts(read, 'models/mine/model.json');
    await expect(loading).rejects.toThrow(ModelLoadError);
    await expect(loading).rejects.toThrow(
      `lists the weights path ${JSON.stringify(path)}, which leaves the model's folder`,
    );
    expect(reads).toEqual(['models/mine/model.json']);
  });

  it('reads weights beside model.json and in folders below it', async () => {
    const { read, reads } = memoryFiles({
      'models/mine/model.json': modelJson(
        {},
        [
          { name: 'a', shape: [1], dtype: 'float32' },
          { name: 'b', shape: [1], dtype: 'float32' },
        ],
        ['group1-shard1of2.bin', 'shards/group1-shard2of2.bin'],
      ),
      'models/mine/group1-shard1of2.bin': new Uint8Array(Float32Array.of(1).buffer),
      'models/mine/shards/group1-shard2of2.bin': new Uint8Array(Float32Array.of(2).buffer),
    });
    const artifacts = await readModelArtifacts(read, 'models/mine/model.json');
    expect(Array.from(new Float32Array(artifacts.weightData as ArrayBuffer))).toEqual([1, 2]);
    expect(reads.slice(1)).toEqual([
      'models/mine/group1-shard1of2.bin',
      'models/mine/shards/group1-shard2of2.bin',
    ]);
  });
});

describe('a model that fails to build', () => {
  interface LenetJson {
    modelTopology: {
      config: { layers: { class_name: string; config: Record<string, unknown> }[] };
    };
    weightsManifest: { weights: Spec[] }[];
  }
  /** lenet300's files with the model.json altered. */
  function lenet300With(alter: (json: LenetJson) => void) {
    const dir = join(PUBLIC_DIR, 'models', 'lenet300');
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as LenetJson;
    alter(json);
    return memoryFiles({
      'model.json': JSON.stringify(json),
      'weights.bin': new Uint8Array(readFileSync(join(dir, 'weights.bin'))),
    }).read;
  }

  it.each([
    [
      'a weight of the wrong shape',
      (j: LenetJson) => (j.weightsManifest[0].weights[0].shape = [300, 784]),
      /weight "fc1\/kernel" is \[300, 784\] in the weights manifest but its layer needs \[784, 300\]/,
    ],
    [
      'a weight no layer holds',
      (j: LenetJson) => (j.weightsManifest[0].weights[1].name = 'fc1/gain'),
      /the weights manifest has "fc1\/gain", which no layer of the model holds/,
    ],
    [
      'a later layer that does not fit its weights',
      (j: LenetJson) => (j.modelTopology.config.layers[2].config.units = 11),
      /weight "fc3\/kernel" is \[100, 10\] in the weights manifest but its layer needs \[100, 11\]/,
    ],
    [
      'an unknown activation',
      (j: LenetJson) => (j.modelTopology.config.layers[1].config.activation = 'sparkle'),
      /could not be built: Unknown activation: sparkle/,
    ],
    [
      'an unknown layer type',
      (j: LenetJson) => (j.modelTopology.config.layers[2].class_name = 'FancyLayer'),
      /uses layer type FancyLayer, which the lab does not support/,
    ],
  ])('with %s: one clear ModelLoadError and no tensor left behind', async (_, alter, text) => {
    const read = lenet300With(alter);
    const tensors = tf.memory().numTensors;
    const variables = Object.keys(tf.engine().registeredVariables).length;
    const building = readModelArtifacts(read, 'model.json').then((a) =>
      modelFromArtifacts(a, 'model.json'),
    );
    await expect(building).rejects.toThrow(ModelLoadError);
    await expect(building).rejects.toThrow(text);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(Object.keys(tf.engine().registeredVariables).length).toBe(variables);
  });
});

describe('topologies tfjs would mishandle', () => {
  /** A functional model saved the way tfjs saves it: its topology and weights in memory. */
  async function functionalFiles() {
    const input = tf.input({ shape: [784], name: 'digits' });
    const hidden = tf.layers.dense({ units: 4, name: 'hidden' }).apply(input);
    const out = tf.layers
      .dense({ units: 10, activation: 'softmax', name: 'out' })
      .apply(hidden) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    let files: { json: Record<string, unknown>; weights: Uint8Array } | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        files = {
          json: {
            modelTopology: a.modelTopology,
            weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
          },
          weights: new Uint8Array(a.weightData as ArrayBuffer),
        };
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    model.dispose();
    return files!;
  }

  type Layer = { name: string; class_name: string; config: Record<string, unknown> } & Record<
    string,
    unknown
  >;
  const layersOf = (json: Record<string, unknown>) =>
    (json.modelTopology as { config: { layers: Layer[] } }).config.layers;

  async function load(alter: (json: Record<string, unknown>) => void) {
    const { json, weights } = await functionalFiles();
    alter(json);
    const { read } = memoryFiles({ 'model.json': JSON.stringify(json), 'weights.bin': weights });
    const tensors = tf.memory().numTensors;
    const loading = readModelArtifacts(read, 'model.json').then((a) =>
      modelFromArtifacts(a, 'model.json'),
    );
    await loading.then(
      (m) => m.dispose(),
      () => undefined,
    );
    expect(tf.memory().numTensors).toBe(tensors);
    return loading;
  }

  // Each of these made tf.loadLayersModel loop forever.
  it.each([
    [
      'a layer that reads a layer the model lacks',
      (j: Record<string, unknown>) => layersOf(j).splice(1, 1),
      /layer "out" reads "hidden", which the model never computes/,
    ],
    [
      'a node index the layer never reaches',
      (j: Record<string, unknown>) =>
        ((layersOf(j)[2].inbound_nodes as unknown[][][])[0][0][1] = 3),
      /layer "out" reads "hidden", which the model never computes/,
    ],
    [
      'a cycle',
      (j: Record<string, unknown>) =>
        ((layersOf(j)[1].inbound_nodes as unknown[][][])[0][0][0] = 'out'),
      /reads "out", which the model never computes \(a missing layer or a cycle\)/,
    ],
    [
      'a layer whose two names differ',
      (j: Record<string, unknown>) => (layersOf(j)[1].name = 'hidden2'),
      /every layer needs a name of its own, the same beside and inside its config/,
    ],
  ])(
    'refuses %s at once, with no tensor left',
    async (_, alter, text) => {
      await expect(load(alter)).rejects.toThrow(text);
    },
    10_000,
  );

  it('refuses a layer name tfjs cannot give a variable, leaving no tensor', async () => {
    // tfjs made the initial value of the weight, then failed on its name: a leaked tensor.
    await expect(load((j) => (layersOf(j)[1].config.name = '-1e+308'))).rejects.toThrow(
      /"-1e\+308" is not a layer name tfjs accepts/,
    );
  });

  it('ignores regularizers and constraints, which only tfjs training uses', async () => {
    // A regularizer that is really an initializer stalled tfjs while it built the model.
    const model = await load((j) => {
      layersOf(j)[1].config.activity_regularizer = { class_name: 'Zeros', config: {} };
      layersOf(j)[1].config.kernel_constraint = { class_name: 'Nonsense', config: {} };
    });
    expect(model.layers.map((l) => l.name)).toEqual(['digits', 'hidden', 'out']);
  });

  it.each([
    ['a stride of 0', { strides: [0, 1] }, /could not be built|unreadable stride/],
    ['a pool size of -2', { pool_size: [-2, 2] }, /could not be built|unreadable pool size/],
    ['a dropout rate of 1', { rate: 1 }, /has a dropout rate of 1/],
  ])('refuses a layer with %s before anything runs, leaving no tensor', async (_, config, text) => {
    const layers: tf.layers.Layer[] = [
      tf.layers.reshape({ inputShape: [784], targetShape: [28, 28, 1], name: 'r' }),
      tf.layers.maxPooling2d({ poolSize: 2, name: 'p' }),
      tf.layers.dropout({ rate: 0.5, name: 'd' }),
      tf.layers.flatten({ name: 'f' }),
      tf.layers.dense({ units: 10, activation: 'softmax', name: 'out' }),
    ];
    const built = tf.sequential({ layers });
    let files: Record<string, Uint8Array | string> = {};
    await built.save(
      tf.io.withSaveHandler(async (a) => {
        const topology = a.modelTopology as { config: { layers: Layer[] } };
        for (const layer of topology.config.layers) {
          for (const key of Object.keys(config)) {
            if (key in layer.config) layer.config[key] = config[key as keyof typeof config];
          }
        }
        files = {
          'model.json': modelJson(topology, a.weightSpecs as Spec[]),
          'weights.bin': new Uint8Array(a.weightData as ArrayBuffer),
        };
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    built.dispose();
    const lab = new Lab({
      read: publicAssets,
      resolveModel: () => ({ read: memoryFiles(files).read, modelJsonPath: 'model.json' }),
    });
    const tensors = tf.memory().numTensors;
    await expect(lab.run(parseRecipe('model=mine/model.json'))).rejects.toThrow(ModelLoadError);
    await expect(lab.run(parseRecipe('model=mine/model.json'))).rejects.toThrow(text);
    expect(tf.memory().numTensors).toBe(tensors);
    await lab.dispose();
  });

  it('disposes every weight of a model with a shared layer, which the lab refuses', async () => {
    const input = tf.input({ shape: [784], name: 'digits' });
    const shared = tf.layers.dense({ units: 784, name: 'shared' });
    const twice = shared.apply(shared.apply(input));
    const out = tf.layers
      .dense({ units: 10, activation: 'softmax', name: 'out' })
      .apply(twice) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    let files: Record<string, Uint8Array | string> = {};
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        files = {
          'model.json': modelJson(a.modelTopology, a.weightSpecs as Spec[]),
          'weights.bin': new Uint8Array(a.weightData as ArrayBuffer),
        };
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    model.dispose();
    const lab = new Lab({
      read: publicAssets,
      resolveModel: () => ({ read: memoryFiles(files).read, modelJsonPath: 'model.json' }),
    });
    const tensors = tf.memory().numTensors;
    await expect(lab.run(parseRecipe('model=mine/model.json'))).rejects.toThrow(
      /layer "shared" is used 2 times/,
    );
    expect(tf.memory().numTensors).toBe(tensors);
    await lab.dispose();
  });
});
