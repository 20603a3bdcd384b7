/**
 * `npm run bench:zoo`: every shipped model's baseline and its accuracy after global magnitude
 * pruning to 50 % without fine-tuning (the issue's target: within 0.5 points), on the 2,000
 * test digits, wasm. For the models with batch norm, also after pruning then `bn-recalibrate`
 * (their batch norms' statistics re-estimated over 2,000 training digits: calibration, no
 * weight changes, not fine-tuning). Not a test: prints a table and writes
 * bench/results/zoo.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Lab } from '../src/engine/lab.ts';
import { SHIPPED_MODELS } from '../src/engine/model/catalog.ts';
import { fileAssetReader } from '../src/engine/node/assets.ts';
import { useNodeBackend } from '../src/engine/node/backend.ts';
import { parseRecipe } from '../src/engine/recipe/share.ts';

await useNodeBackend('wasm');
const lab = new Lab({ read: fileAssetReader() });
const rows = [];
const points = (v: number) => (100 * v).toFixed(2);
console.log(
  'model        baseline  50% pruned   drop  within 0.5  | + bn-recalibrate   drop  within 0.5',
);
for (const id of SHIPPED_MODELS) {
  const r = await lab.run(parseRecipe(`model=${id}&steps=prune(fraction=0.5)`));
  const drop = 100 * (r.baselineAccuracy - r.accuracy);
  let recalibrated: { accuracy: number; drop: number } | null = null;
  try {
    const c = await lab.run(
      parseRecipe(`model=${id}&steps=prune(fraction=0.5);bn-recalibrate(digits=2000)`),
    );
    recalibrated = { accuracy: c.accuracy, drop: 100 * (c.baselineAccuracy - c.accuracy) };
  } catch (err) {
    if (!String(err).includes('no batch norm')) throw err;
  }
  rows.push({ id, baselineAccuracy: r.baselineAccuracy, accuracy: r.accuracy, drop, recalibrated });
  const yes = (d: number) => (d <= 0.5 ? 'yes' : 'no');
  console.log(
    `${id.padEnd(12)} ${points(r.baselineAccuracy).padStart(7)}%  ${points(r.accuracy).padStart(8)}%  ${drop.toFixed(2).padStart(5)}  ${yes(drop).padStart(10)}  | ` +
      (recalibrated
        ? `${points(recalibrated.accuracy).padStart(15)}%  ${recalibrated.drop.toFixed(2).padStart(5)}  ${yes(recalibrated.drop).padStart(10)}`
        : '   (no batch norm)'),
  );
}
await lab.dispose();
const dir = join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'zoo.json'), `${JSON.stringify(rows, null, 2)}\n`);
