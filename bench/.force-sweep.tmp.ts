import { Lab } from '/work/wt-decomp/src/engine/lab.ts';
import { fileAssetReader } from '/work/wt-decomp/src/engine/node/assets.ts';
import { useNodeBackend } from '/work/wt-decomp/src/engine/node/backend.ts';
import { parseRecipe } from '/work/wt-decomp/src/engine/recipe/share.ts';
await useNodeBackend('wasm');
const lab = new Lab({ read: fileAssetReader() });
const prefixes = (process.argv[2] ?? '').split('@');
for (const prefix of prefixes) {
  const out: string[] = [];
  for (const tail of ['tucker2(rankIn=conv2:-1,rankOut=conv2:6)', 'tucker2(rankIn=conv2:-1,rankOut=conv2:10)', 'svd(energy=*:1,rank=fc1:8)', 'svd(energy=*:1,rank=fc1:16)']) {
    const r = await lab.run(parseRecipe(`v=1&model=lenet5&seed=1&steps=${prefix};${tail}`));
    const f = (r.steps[0].report as any)?.force?.layers?.map((l: any) => `${l.name}:${l.rankBefore}->${l.rankAfter}`).join(' ') ?? '';
    out.push(`${tail.slice(0, 40)}=${(r.accuracy * 100).toFixed(2)}`);
    if (tail.includes(':6')) console.log(prefix, 'trained', (r.steps[0].accuracy * 100).toFixed(2), f);
  }
  console.log('  ', out.join('  '));
}
