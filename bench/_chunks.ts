import { Lab } from '../src/engine/lab.ts';
import { useNodeBackend } from '../src/engine/node/backend.ts';
import { fileAssetReader } from '../src/engine/node/assets.ts';
import { createPredictor } from '../src/engine/model/program.ts';
import { evaluateAccuracy } from '../src/engine/measure/accuracy.ts';
import { loadDigitSplit } from '../src/engine/data/digits.ts';
const read = fileAssetReader();
for (const backend of (process.env.BACKENDS ?? 'wasm').split(',')) {
await useNodeBackend(backend as 'wasm');
const lab = new Lab({ read });
const test = await loadDigitSplit(read, 'test');
for (const m of (process.env.MODELS ?? 'lenet5,lenet300,nin,squeezenet,inception,resnext').split(',')) {
  const g = await lab.baseGraph(m);
  const p = createPredictor(g);
  const t0 = performance.now();
  const a = await evaluateAccuracy(p.predict, test, g.inputShape, { batchSize: 500 });
  const t1 = performance.now();
  const b = await evaluateAccuracy(p.predict, test, g.inputShape, { batchSize: 100 });
  const t2 = performance.now();
  console.log(backend, m, a.correct, b.correct, a.correct === b.correct ? 'same' : 'DIFF', `500: ${(t1-t0).toFixed(0)} ms, 100: ${(t2-t1).toFixed(0)} ms`);
  p.dispose();
}
}
