/**
 * The runner of `complab sweep` (commands/sweep.ts reads its options): runs every recipe of a
 * grid (`prune(fraction=0.5..0.99:0.01)`) on worker threads, each with its own wasm engine, and writes one JSON line per run: what `complab eval
 * --json` prints for that recipe, plus `sweep` (the point's grid index and swept values).
 * Lines come out in grid order. `--shard i/n` runs every n-th point from i, so a batch
 * scheduler's array of n tasks covers the grid exactly once.
 *
 * The workers share one prefix cache folder (`--cache`, or a temporary one), and the first
 * point runs alone: a fine-tuned prefix before the swept step is trained once, then read back
 * by every worker.
 */
import { closeSync, mkdtempSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { RunCancelledError } from '../../engine/cancel.ts';
import type { DataSetId } from '../../engine/data/datasets.ts';
import type { NodeBackendName } from '../../engine/node/backend-names.ts';
import { RecipeError } from '../../engine/recipe/errors.ts';
import { shardIndices, type Grid, type Shard } from '../../engine/recipe/grid.ts';
import {
  formatSteps,
  normalizeRecipe,
  withDataSet,
  type Recipe,
} from '../../engine/recipe/recipe.ts';
import { UsageError } from '../errors.ts';
import type { FromSweepWorker, SweepWorkerData, ToSweepWorker } from './protocol.ts';

export interface SweepOptions {
  readonly model: string;
  /** The data set every recipe runs on. */
  readonly data: DataSetId;
  readonly seed: number;
  readonly grid: Grid;
  readonly gridText: string;
  readonly shard: Shard | null;
  readonly jobs: number;
  readonly out?: string;
  readonly cache?: string;
  readonly backend: NodeBackendName;
  readonly quiet: boolean;
}

/** Where lines go: in grid order, each as soon as every line before it is in. */
class OrderedLines {
  private readonly pending = new Map<number, string>();
  private next = 0;
  written = 0;

  constructor(
    private readonly order: readonly number[],
    private readonly write: (text: string) => void,
  ) {}

  add(index: number, line: string): void {
    this.pending.set(index, line);
    while (this.next < this.order.length && this.pending.has(this.order[this.next])) {
      const key = this.order[this.next];
      this.write(`${this.pending.get(key)}\n`);
      this.pending.delete(key);
      this.next++;
      this.written++;
    }
  }
}

interface PointFailure {
  readonly index: number;
  readonly message: string;
  readonly userError: boolean;
}

/** Runs `indices` of the grid on `jobs` workers; `onDone` hears each result as it lands. */
async function runPoints(
  options: SweepOptions,
  recipes: ReadonlyMap<number, Recipe>,
  indices: readonly number[],
  cache: string,
  onDone: (index: number, json: Record<string, unknown>) => void,
  signal?: AbortSignal,
): Promise<PointFailure | null> {
  const jobs = Math.max(1, Math.min(options.jobs, indices.length));
  const queue = [...indices];
  const workerData: Omit<SweepWorkerData, 'warmUp'> = {
    backend: options.backend,
    cache,
    model: options.model,
    data: options.data,
  };
  const workers: Worker[] = [];
  let failure: PointFailure | null = null;
  let running = 0;
  let firstDone = false;
  return new Promise<PointFailure | null>((resolveAll, rejectAll) => {
    const finish = () => {
      signal?.removeEventListener('abort', cancel);
      for (const w of workers) w.postMessage({ kind: 'stop' } satisfies ToSweepWorker);
      resolveAll(failure);
    };
    // Cancelled: every worker aborts its run (within one batch or chunk, the engine yields),
    // and once none is running they are stopped, the ones still warming up included.
    const endCancelled = () => {
      for (const w of workers) void w.terminate();
      rejectAll(new RunCancelledError());
    };
    const cancel = () => {
      queue.length = 0;
      for (const w of workers) w.postMessage({ kind: 'cancel' } satisfies ToSweepWorker);
      if (running === 0) endCancelled();
    };
    // The first point runs alone, so its fine-tuned prefix is in the cache for the others.
    const mayStart = () => firstDone || running === 0;
    const feed = (worker: Worker) => {
      if (failure || !mayStart()) return;
      const index = queue.shift();
      if (index === undefined) {
        if (running === 0) finish();
        return;
      }
      running++;
      worker.postMessage({
        kind: 'run',
        index,
        recipe: recipes.get(index)!,
      } satisfies ToSweepWorker);
    };
    const idle: Worker[] = [];
    for (let i = 0; i < jobs; i++) {
      const worker = new Worker(new URL('./worker.mjs', import.meta.url), {
        workerData: { ...workerData, warmUp: i > 0 } satisfies SweepWorkerData,
        stderr: false,
      });
      workers.push(worker);
      worker.on('error', (err) => {
        for (const w of workers) void w.terminate();
        rejectAll(err);
      });
      worker.on('message', (message: FromSweepWorker) => {
        if (signal?.aborted) {
          if (message.kind !== 'ready' && --running === 0) endCancelled();
          return;
        }
        if (message.kind === 'ready') {
          idle.push(worker);
        } else {
          running--;
          firstDone = true;
          if (message.kind === 'done') onDone(message.index, message.json);
          else if (message.kind === 'failed') failure ??= message;
          idle.push(worker);
        }
        if (failure) {
          if (running === 0) finish();
          return;
        }
        while (idle.length > 0 && queue.length > 0 && mayStart()) feed(idle.shift()!);
        if (queue.length === 0 && running === 0) finish();
      });
    }
    if (signal?.aborted) cancel();
    else signal?.addEventListener('abort', cancel, { once: true });
  });
}

/**
 * Runs the sweep. Ctrl-C (SIGINT) or `signal` cancels it: the runs in flight stop within one
 * batch or chunk, no partial output file is left, and it throws RunCancelledError.
 */
export async function runSweep(options: SweepOptions, signal?: AbortSignal): Promise<number> {
  const { grid, shard } = options;
  const indices = shard
    ? shardIndices(grid.size, shard)
    : Array.from({ length: grid.size }, (_, i) => i);
  const recipes = new Map<number, Recipe>();
  for (const index of indices) {
    recipes.set(
      index,
      normalizeRecipe(
        withDataSet(
          { model: options.model, seed: options.seed, steps: grid.point(index).steps },
          options.data,
        ),
      ),
    );
  }
  const shardText = shard ? `${shard.index}/${shard.count}` : null;
  const describe = (index: number) =>
    grid.axes
      .map((a, i) => `${a.technique} ${a.param}=${grid.point(index).values[i]}`)
      .join(', ') || formatSteps(grid.point(index).steps);

  const cache = options.cache
    ? resolve(options.cache)
    : mkdtempSync(join(tmpdir(), 'complab-sweep-'));
  const outPath = options.out ? resolve(options.out) : undefined;
  const tmpPath = outPath ? `${outPath}.tmp` : undefined;
  let fd: number | undefined;
  if (tmpPath) {
    try {
      fd = openSync(tmpPath, 'w');
    } catch (err) {
      if (!options.cache) rmSync(cache, { recursive: true, force: true });
      throw new UsageError(
        `cannot write ${tmpPath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  }
  const lines = new OrderedLines(indices, (text) => {
    if (fd !== undefined) writeSync(fd, text);
    else process.stdout.write(text);
  });
  const started = performance.now();
  let done = 0;
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  signal?.addEventListener('abort', interrupt, { once: true });
  if (signal?.aborted) controller.abort();
  process.once('SIGINT', interrupt);
  try {
    const failure = await runPoints(
      options,
      recipes,
      indices,
      cache,
      (index, json) => {
        const point = grid.point(index);
        const line = {
          ...json,
          sweep: {
            index,
            size: grid.size,
            shard: shardText,
            grid: options.gridText,
            axes: grid.axes.map((a, i) => ({
              step: a.stepIndex,
              technique: a.technique,
              param: a.param,
              value: point.values[i],
            })),
          },
        };
        lines.add(index, JSON.stringify(line));
        done++;
        if (!options.quiet) {
          const accuracy = (100 * Number(json.accuracy)).toFixed(2);
          process.stderr.write(
            `complab: sweep ${done}/${indices.length} · ${describe(index)} · ${accuracy}% · ${Number(json.sizeBytes)} B · ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
          );
        }
      },
      controller.signal,
    );
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
    if (failure) {
      const kept = tmpPath && outPath ? `${outPath}.partial` : undefined;
      if (tmpPath && kept) renameSync(tmpPath, kept);
      const message = `sweep point ${failure.index} (${describe(failure.index)}) failed: ${failure.message}${kept ? `; the ${lines.written} lines before it are in ${kept}` : ''}`;
      if (failure.userError) throw new RecipeError(message);
      throw new Error(message);
    }
    if (tmpPath && outPath) renameSync(tmpPath, outPath);
    if (!options.quiet) {
      process.stderr.write(
        `complab: sweep of ${indices.length} runs${shardText ? ` (shard ${shardText} of a grid of ${grid.size})` : ''} on ${Math.min(options.jobs, indices.length)} workers took ${((performance.now() - started) / 1000).toFixed(1)} s${outPath ? `; wrote ${outPath}` : ''}\n`,
      );
    }
    return 0;
  } finally {
    process.off('SIGINT', interrupt);
    signal?.removeEventListener('abort', interrupt);
    if (fd !== undefined) {
      // Stopped by something other than a point's failure: nothing half-written is left.
      closeSync(fd);
      if (tmpPath) rmSync(tmpPath, { force: true });
    }
    if (!options.cache) rmSync(cache, { recursive: true, force: true });
  }
}
