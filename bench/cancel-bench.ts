/**
 * `npm run bench:cancel`: for each kind of long step, the time from an abort (fired by a timer,
 * as a newer edit or a worker message arrives in the page) to the settled promise, median of 5
 * on Node with the wasm backend, beside the step's uncancelled time. Target: <= 100 ms each.
 * Each abort fires 30% of the way through the step (timed on its uncancelled run); every run
 * uses a fresh seed, so nothing comes from the cache. Not a test: writes bench/results/cancel.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sweepCommand } from '../src/cli/commands/sweep.ts';
import { RunCancelledError } from '../src/engine/cancel.ts';
import { Lab, type RunProgress } from '../src/engine/lab.ts';
import { median } from '../src/engine/measure/latency.ts';
import { fileAssetReader } from '../src/engine/node/assets.ts';
import { useNodeBackend } from '../src/engine/node/backend.ts';
import { parseRecipe } from '../src/engine/recipe/share.ts';
import { timeCancel } from '../src/engine/test/cancel-timing.ts';

const ROUNDS = Number(process.env.CANCEL_ROUNDS ?? 5);
const AT = 0.3;

await useNodeBackend('wasm');
const lab = new Lab({ read: fileAssetReader() });
let seed = 5000;

type Work = (signal: AbortSignal | undefined, started: () => void) => Promise<unknown>;

/** A recipe run afresh; the timed part starts at its first progress report that `inPart` accepts. */
const recipe =
  (text: string, inPart: (p: RunProgress) => boolean): Work =>
  (signal, started) =>
    lab.run(parseRecipe(`${text}&seed=${seed++}`), {
      signal,
      onProgress: (p) => inPart(p) && started(),
    });
const compressing = (p: RunProgress) => p.stage === 'compressing';

const sweepDir = mkdtempSync(join(tmpdir(), 'complab-cancel-bench-'));
let sweeps = 0;

const KINDS: { kind: string; what: string; models: string[]; work: Work }[] = [
  {
    kind: 'evaluation',
    what: 'lenet5 prune(fraction=0.5), from its test evaluation on',
    models: ['lenet5'],
    work: recipe('model=lenet5&steps=prune(fraction=0.5)', (p) => p.stage === 'evaluating'),
  },
  {
    kind: 'prune-auto (sensitivity)',
    what: 'lenet300 prune-auto(drop=0.5)',
    models: ['lenet300'],
    work: recipe('model=lenet300&steps=prune-auto(drop=0.5)', compressing),
  },
  {
    kind: 'svd',
    what: 'lenet5 svd(rank=fc1:32) (fc1 is 800 x 500)',
    models: ['lenet5'],
    work: recipe('model=lenet5&steps=svd(energy=*:1,rank=fc1:32)', compressing),
  },
  {
    kind: 'tucker2 (VBMF ranks)',
    what: 'lenet5 tucker2(rankIn=conv2:0,rankOut=conv2:0)',
    models: ['lenet5'],
    work: recipe('model=lenet5&steps=tucker2(rankIn=conv2:0,rankOut=conv2:0)', compressing),
  },
  {
    kind: 'k-means',
    what: 'lenet5 kmeans(bits=*:5)',
    models: ['lenet5'],
    work: recipe('model=lenet5&steps=kmeans(bits=*:5)', compressing),
  },
  {
    kind: 'fine-tune',
    what: 'lenet5 finetune(epochs=1,batches=30)',
    models: ['lenet5'],
    work: recipe('model=lenet5&steps=finetune(epochs=1,batches=30)', compressing),
  },
  {
    kind: 'bn-recalibrate',
    what: 'resnext bn-recalibrate',
    models: ['resnext'],
    work: recipe('model=resnext&steps=bn-recalibrate', compressing),
  },
  {
    kind: 'sweep (complab sweep)',
    what: 'lenet300 finetune(epochs=1,batches=60..80:20), 1 worker, start-up included',
    models: [],
    work: (signal, started) => {
      started();
      const out = join(sweepDir, `runs-${sweeps++}.jsonl`);
      const grid = 'finetune(epochs=1,batches=60..80:20)';
      const args = ['--model', 'lenet300', '--grid', grid, '--jobs', '1', '--quiet'];
      return sweepCommand([...args, '--seed', String(seed++), '--out', out], signal);
    },
  },
];

const only = process.env.CANCEL_KINDS?.split(',');
const rows = [];
for (const { kind, what, models, work } of KINDS) {
  if (only && !only.some((k) => kind.startsWith(k))) continue;
  // The model's baseline is measured once per lab: not part of any step timed here.
  for (const model of models) await lab.run(parseRecipe(`model=${model}`));
  const full: number[] = [];
  const after: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const timing = await timeCancel(work, AT);
    if (!(timing.settled instanceof RunCancelledError)) {
      throw new Error(`${kind}: the cancelled run settled with ${String(timing.settled)}`);
    }
    full.push(timing.fullMs);
    after.push(timing.afterAbortMs);
  }
  const row = {
    kind,
    what,
    fullMs: Math.round(median(full)),
    abortToSettledMs: Math.round(median(after)),
    minMs: Math.round(Math.min(...after)),
    maxMs: Math.round(Math.max(...after)),
  };
  rows.push(row);
  process.stdout.write(
    `${kind.padEnd(26)} abort -> settled ${String(row.abortToSettledMs).padStart(4)} ms (${row.minMs}-${row.maxMs})  uncancelled ${String(row.fullMs).padStart(6)} ms  ${what}\n`,
  );
}
rmSync(sweepDir, { recursive: true, force: true });
const target = rows.every((r) => r.abortToSettledMs <= 100);
process.stdout.write(
  `median of ${ROUNDS} per kind, abort at ${AT * 100}% of the uncancelled time; target <= 100 ms: ${target ? 'met' : 'NOT met'}\n`,
);
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(
  join(import.meta.dirname, 'results', 'cancel.json'),
  `${JSON.stringify({ rounds: ROUNDS, at: AT, rows }, null, 2)}\n`,
);
