/**
 * `npm run bench:train`: LeNet-5 training speed on wasm (with the lab's gradient kernels)
 * against tfjs's cpu backend, side by side in one process, through the real training loop
 * (trainModel) on real digits. Prints a table and writes bench/results/train.json.
 *
 * cpu takes ~20 s per batch, so it gets 1 warm-up + 3 timed batches; wasm gets 3 + 20.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDigitSplit, PIXELS, type DigitSplit } from '../src/engine/data/digits.ts';
import { buildModel } from '../src/engine/model/zoo.ts';
import { fileAssetReader } from '../src/engine/node/assets.ts';
import { useNodeBackend, type NodeBackendName } from '../src/engine/node/backend.ts';
import { trainModel } from '../src/engine/train/train.ts';

const BATCH_SIZE = 64;
const RESULTS = join(dirname(fileURLToPath(import.meta.url)), 'results', 'train.json');

function firstDigits(split: DigitSplit, count: number): DigitSplit {
  return {
    count,
    images: split.images.subarray(0, count * PIXELS),
    labels: split.labels.subarray(0, count),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Milliseconds of each timed batch of one epoch over warmUp + timed batches of 64 digits. */
async function batchTimes(
  backend: NodeBackendName,
  train: DigitSplit,
  warmUp: number,
  timed: number,
): Promise<number[]> {
  await useNodeBackend(backend);
  const model = buildModel('lenet5', 1);
  const ends: number[] = [];
  await trainModel(model, firstDigits(train, (warmUp + timed) * BATCH_SIZE), {
    epochs: 1,
    batchSize: BATCH_SIZE,
    learningRate: 0.001,
    seed: 1,
    onBatch: (info) => {
      ends.push(info.elapsedMs);
      process.stdout.write(`\r  ${backend}: batch ${info.batch + 1}/${warmUp + timed}`);
    },
  });
  process.stdout.write('\n');
  model.dispose();
  return ends.slice(warmUp).map((end, k) => end - ends[warmUp + k - 1]);
}

async function wasmEpochMs(train: DigitSplit): Promise<number> {
  await useNodeBackend('wasm');
  const model = buildModel('lenet5', 1);
  const result = await trainModel(model, train, {
    epochs: 1,
    batchSize: BATCH_SIZE,
    learningRate: 0.001,
    seed: 1,
  });
  model.dispose();
  return result.elapsedMs;
}

async function main(): Promise<void> {
  const train = await loadDigitSplit(fileAssetReader(), 'train');
  console.log(`LeNet-5 training, batches of ${BATCH_SIZE} real digits (Node ${process.version})`);
  const wasm = await batchTimes('wasm', train, 3, 20);
  const cpu = await batchTimes('cpu', train, 1, 3);
  console.log('  wasm: one epoch of 8,000 digits');
  const epochMs = await wasmEpochMs(train);

  const wasmMedian = median(wasm);
  const cpuMedian = median(cpu);
  const rows: [string, string][] = [
    ['wasm, median ms per batch', wasmMedian.toFixed(1)],
    ['cpu, median ms per batch', cpuMedian.toFixed(0)],
    ['speed-up wasm / cpu', `${(cpuMedian / wasmMedian).toFixed(1)}x`],
    [`wasm, one epoch (${train.count} digits), s`, (epochMs / 1000).toFixed(1)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  console.log();
  for (const [label, value] of rows) console.log(`  ${label.padEnd(width)}  ${value.padStart(8)}`);

  const report = {
    benchmark: 'lenet5-training',
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    tfjs: tf.version.tfjs,
    batchSize: BATCH_SIZE,
    wasm: { batchMs: wasm, medianBatchMs: wasmMedian },
    cpuBackend: { batchMs: cpu, medianBatchMs: cpuMedian },
    speedup: cpuMedian / wasmMedian,
    wasmEpochSeconds: epochMs / 1000,
    epochDigits: train.count,
  };
  await mkdir(dirname(RESULTS), { recursive: true });
  await writeFile(RESULTS, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\n  wrote ${RESULTS}`);
}

await main();
