/**
 * `npm run bench:zoo`: every shipped model's baseline and its accuracy after global magnitude
 * pruning to 50 % without fine-tuning (the target: within 0.5 points), on the 2,000
 * test digits, wasm. Not a test: prints a table and writes bench/results/zoo.json.
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
console.log('model        baseline  50% pruned   drop (points)  within 0.5');
for (const id of SHIPPED_MODELS) {
  const r = await lab.run(parseRecipe(`model=${id}&steps=prune(fraction=0.5)`));
  const drop = 100 * (r.baselineAccuracy - r.accuracy);
  rows.push({ id, baselineAccuracy: r.baselineAccuracy, accuracy: r.accuracy, drop });
  console.log(
    `${id.padEnd(12)} ${(100 * r.baselineAccuracy).toFixed(2).padStart(7)}%  ${(100 * r.accuracy).toFixed(2).padStart(8)}%  ${drop.toFixed(2).padStart(13)}  ${drop <= 0.5 ? 'yes' : 'no'}`,
  );
}
await lab.dispose();
const dir = join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'zoo.json'), `${JSON.stringify(rows, null, 2)}\n`);
