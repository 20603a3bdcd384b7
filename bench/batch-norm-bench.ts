/**
 * `npx tsx bench/batch-norm-bench.ts [ids] [batches]`: one training step (batch of 128 real
 * digits, Adam) of each compact model on wasm with tfjs-layers' own batch norm and with the
 * lab's closed-form one (src/engine/train/batch-norm.ts), the two alternating in one process so
 * that load on the machine hits both alike. Prints ms per step and the ratio, and the losses of
 * the first steps of both (equal up to float rounding). Not a test.
 */
import * as tf from '@tensorflow/tfjs';
import { loadDigitSplit } from '../src/engine/data/digits.ts';
import { digitsToTensor, labelsOf } from '../src/engine/data/batches.ts';
import { buildModel, type ModelId } from '../src/engine/model/zoo.ts';
import { fileAssetReader } from '../src/engine/node/assets.ts';
import { useNodeBackend } from '../src/engine/node/backend.ts';
import { useFastBatchNorm } from '../src/engine/train/batch-norm.ts';
import { crossEntropyLoss } from '../src/engine/train/train.ts';

await useNodeBackend('wasm');
const ids = (process.argv[2] ?? 'nin,squeezenet,inception,resnext').split(',') as ModelId[];
const steps = Number(process.argv[3] ?? 3);
const batch = 128;
const train = await loadDigitSplit(fileAssetReader(), 'train');
const x = digitsToTensor(train, 0, batch, [28, 28, 1]);
const y = tf.oneHot(tf.tensor1d(labelsOf(train, 0, batch), 'int32'), 10);

for (const id of ids) {
  const [tfjsStep, labStep] = [false, true].map((fast) => {
    const model = buildModel(id, 1);
    if (fast) useFastBatchNorm(model);
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const optimizer: tf.Optimizer = tf.train.adam(0.003);
    return () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => crossEntropyLoss(model.apply(x, { training: true }) as tf.Tensor, y),
          variables,
        );
        optimizer.applyGradients(grads);
        return value;
      });
  });
  const totals = [0, 0];
  const losses: number[][] = [[], []];
  // Step 0 warms up (kernels, XNNPACK operators) and is not timed.
  for (let step = 0; step <= steps; step++) {
    for (const [k, run] of [tfjsStep, labStep].entries()) {
      const start = performance.now();
      const loss = run();
      losses[k].push((await loss.data())[0]);
      loss.dispose();
      if (step > 0) totals[k] += performance.now() - start;
    }
  }
  const [tfjsMs, labMs] = totals.map((t) => t / steps);
  console.log(
    `${id.padEnd(11)} tfjs batch norm ${tfjsMs.toFixed(0).padStart(6)} ms/step   lab ${labMs.toFixed(0).padStart(6)} ms/step   ${(tfjsMs / labMs).toFixed(2)}x   ` +
      `losses ${losses[0].map((l) => l.toFixed(4)).join(' ')} | ${losses[1].map((l) => l.toFixed(4)).join(' ')}`,
  );
}
