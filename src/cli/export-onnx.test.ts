/**
 * `complab export --format onnx`: a PyTorch model pruned and quantized in the lab, and a shipped
 * model, written as ONNX and run in onnxruntime (an independent runtime): the same correct count
 * on the test split as the lab reported, the same input and output as the model that came in.
 * XNOR's binary activations are refused by name and nothing is written.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { loadDataSplit } from '../engine/data/load.ts';
import type { DataSetId } from '../engine/data/datasets.ts';
import { decodeOnnx } from '../engine/onnx/decode.ts';
import { complab } from '../engine/test/complab-cli.ts';
import { publicAssets } from '../engine/test/fixtures.ts';

const FIXTURE = join(import.meta.dirname, '../../test-fixtures/onnx/models/bn_cnn_opset11.onnx');

interface OnnxSummary {
  readonly sizeBytes: number;
  readonly correct: number;
  readonly total: number;
}

/**
 * Correct test images of an ONNX file as onnxruntime runs it (NCHW [N, 1, 28, 28], pixel / 255).
 * Basic graph optimizations: from "extended" up onnxruntime fuses a weight's DequantizeLinear
 * into integer kernels that also quantize the activations (measured: logits off by up to 0.07,
 * 9,857 correct where the file's own arithmetic gives 9,858), so it no longer computes the file.
 */
async function onnxruntimeCorrect(file: string, data: DataSetId): Promise<number> {
  const test = await loadDataSplit(publicAssets, data, 'test');
  const session = await ort.InferenceSession.create(readFileSync(file), {
    graphOptimizationLevel: 'basic',
  });
  const x = Float32Array.from(test.images, (v) => v / 255);
  const outputs = await session.run({
    [session.inputNames[0]]: new ort.Tensor('float32', x, [test.count, 1, 28, 28]),
  });
  const logits = outputs[session.outputNames[0]].data as Float32Array;
  let correct = 0;
  for (let i = 0; i < test.count; i++) {
    let best = 0;
    for (let k = 1; k < 10; k++) if (logits[i * 10 + k] > logits[i * 10 + best]) best = k;
    if (best === test.labels[i]) correct++;
  }
  return correct;
}

const ioOf = (bytes: Uint8Array) => {
  const { inputs, outputs } = decodeOnnx(bytes, 'model').graph;
  return { inputs, outputs };
};

describe('complab export --format onnx', () => {
  it('a PyTorch model pruned and quantized: onnxruntime counts what the lab reported on all 10,000 mnist test images', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'complab-onnx-')), 'small.onnx');
    const recipe = 'steps=prune(fraction=0.8);quantize-linear(weightBits=*:8,activationBits=0)';
    const written = await complab(
      'export',
      '--model',
      FIXTURE,
      '--data',
      'mnist',
      '--recipe',
      recipe,
      '--format',
      'onnx',
      '--out',
      out,
      '--quiet',
      '--json',
    );
    expect(written.stderr).toBe('');
    expect(written.code).toBe(0);
    const summary = JSON.parse(written.stdout) as OnnxSummary;
    const bytes = readFileSync(out);
    expect(bytes.length).toBe(summary.sizeBytes);
    expect(summary.total).toBe(10000);

    // The lab's own evaluation of the same recipe (not the export's re-import) against onnxruntime.
    const evaluated = await complab(
      'eval',
      '--model',
      FIXTURE,
      '--data',
      'mnist',
      '--recipe',
      recipe,
      '--quiet',
      '--json',
    );
    const lab = JSON.parse(evaluated.stdout) as { correct: number };
    expect(await onnxruntimeCorrect(out, 'mnist')).toBe(lab.correct);
    expect(summary.correct).toBe(lab.correct);

    // Same input and output as the file that came in (logits: the appended Softmax dropped).
    expect(ioOf(bytes)).toEqual(ioOf(readFileSync(FIXTURE)));
    const { nodes } = decodeOnnx(bytes, 'small.onnx').graph;
    expect(nodes.some((n) => n.opType === 'DequantizeLinear')).toBe(true);
    expect(nodes.some((n) => n.opType === 'Softmax')).toBe(false);
  }, 300_000);

  it('a shipped model (lenet5 on mnist-10k) takes NCHW [N, 1, 28, 28] and counts as the lab did', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'complab-onnx-')), 'lenet5.onnx');
    const recipe =
      'v=2&model=lenet5&seed=1&steps=prune(fraction=0.5);quantize-linear(weightBits=*:6,activationBits=0)';
    const written = await complab(
      'export',
      '--recipe',
      recipe,
      '--format',
      'onnx',
      '--out',
      out,
      '--quiet',
      '--json',
    );
    expect(written.code).toBe(0);
    const summary = JSON.parse(written.stdout) as OnnxSummary & {
      input: { shape: unknown[] };
    };
    expect(summary.total).toBe(2000);
    expect(summary.input.shape).toEqual(['N', 1, 28, 28]);
    expect(await onnxruntimeCorrect(out, 'mnist-10k')).toBe(summary.correct);
  }, 300_000);

  it('refuses XNOR by layer name, exit 1, nothing written', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'complab-onnx-')), 'xnor.onnx');
    const recipe = 'v=1&model=lenet300&seed=1&steps=xnor(epochs=0)';
    const written = await complab(
      'export',
      '--recipe',
      recipe,
      '--format',
      'onnx',
      '--out',
      out,
      '--quiet',
    );
    expect(written.code).toBe(1);
    expect(written.stderr).toMatch(
      /^complab: layer "[^"]+" \(Binary(Dense|Conv2D)\) computes with binary \(XNOR\) activations/,
    );
    expect(existsSync(out)).toBe(false);
  }, 120_000);
});
