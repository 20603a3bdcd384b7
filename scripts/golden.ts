/**
 * The golden table of links (src/engine/golden/golden-links.json;
 * docs/links-keep-their-numbers.md).
 *
 *   npm run test:golden [-- --shard i/n] [-- --fast]   run every entry (or a shard), compare
 *   tsx scripts/golden.ts measure --out F.jsonl [--filter RE] [--pending] [--list LINKS.txt]
 *                                                      measure, one JSON line each
 *   tsx scripts/golden.ts merge F.jsonl...             write measured lines into the table
 *   tsx scripts/golden.ts add                          add missing preset x model entries
 *
 * Every run is the one `complab eval --recipe '<link>'` does (wasm, a fresh lab per link).
 */
import { execSync } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { openLab } from '../src/cli/open-lab.ts';
import {
  measureLink,
  readGoldenTable,
  requiredLinks,
  shardOf,
  writeGoldenTable,
  type GoldenEntry,
  type GoldenFigures,
} from '../src/engine/golden/golden-links.ts';

async function measureOne(link: string): Promise<{ figures: GoldenFigures; elapsedMs: number }> {
  const lab = await openLab('wasm');
  const started = performance.now();
  try {
    const figures = await measureLink(lab, link);
    return { figures, elapsedMs: Math.round(performance.now() - started) };
  } finally {
    await lab.dispose();
  }
}

const same = (a: GoldenFigures, b: GoldenFigures) =>
  a.correct === b.correct && a.total === b.total && a.sizeBytes === b.sizeBytes;
const show = (f: GoldenFigures) => `${f.correct}/${f.total} correct, ${f.sizeBytes} B`;

async function check(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { shard: { type: 'string' }, fast: { type: 'boolean' }, filter: { type: 'string' } },
  });
  let entries = readGoldenTable().entries;
  if (values.fast) entries = entries.filter((e) => e.fast);
  if (values.filter) entries = entries.filter((e) => new RegExp(values.filter!).test(e.link));
  if (values.shard) {
    const [i, n] = values.shard.split('/').map(Number);
    entries = shardOf(entries, i, n);
  }
  const pending = entries.filter((e) => e.expected === null);
  let failed = 0;
  for (const entry of entries) {
    if (!entry.expected) continue;
    const { figures, elapsedMs } = await measureOne(entry.link);
    const ok = same(figures, entry.expected);
    if (!ok) failed++;
    console.log(
      `${ok ? 'ok  ' : 'FAIL'} ${(elapsedMs / 1000).toFixed(1).padStart(6)} s  ${entry.link}` +
        (ok ? '' : `\n       expected ${show(entry.expected)}, got ${show(figures)}`),
    );
  }
  for (const entry of pending) console.log(`pending (not measured yet): ${entry.link}`);
  console.log(
    `${entries.length - pending.length - failed} of ${entries.length - pending.length} links give their recorded numbers` +
      (pending.length ? `; ${pending.length} pending` : ''),
  );
  return failed ? 1 : 0;
}

async function measure(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      out: { type: 'string' },
      filter: { type: 'string' },
      pending: { type: 'boolean' },
      list: { type: 'string' },
    },
  });
  if (!values.out) throw new Error('measure needs --out FILE.jsonl');
  let entries = readGoldenTable().entries;
  if (values.list) {
    // The links of a file, one a line, in its order (the ones to measure first come first).
    const byLink = new Map(entries.map((e) => [e.link, e]));
    entries = readFileSync(values.list, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((link) => {
        const entry = byLink.get(link);
        if (!entry) throw new Error(`${values.list}: "${link}" is not in the table`);
        return entry;
      });
  }
  if (values.pending) entries = entries.filter((e) => e.expected === null);
  if (values.filter) entries = entries.filter((e) => new RegExp(values.filter!).test(e.link));
  const commit = execSync('git rev-parse --short HEAD').toString().trim();
  for (const entry of entries) {
    const { figures, elapsedMs } = await measureOne(entry.link);
    const line = {
      link: entry.link,
      expected: figures,
      measured: {
        command: `complab eval --recipe '${entry.link}' --json`,
        date: new Date().toISOString().slice(0, 10),
        commit,
        elapsedMs,
      },
    };
    appendFileSync(values.out, `${JSON.stringify(line)}\n`);
    console.log(`${show(figures)}  ${(elapsedMs / 1000).toFixed(1)} s  ${entry.link}`);
  }
  return 0;
}

function merge(files: string[]): number {
  const table = readGoldenTable();
  const byLink = new Map(table.entries.map((e, k) => [e.link, k]));
  for (const file of files) {
    for (const text of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
      const line = JSON.parse(text) as Pick<GoldenEntry, 'link' | 'expected' | 'measured'>;
      const at = byLink.get(line.link);
      if (at === undefined) throw new Error(`${file}: "${line.link}" is not in the table`);
      table.entries[at] = {
        ...table.entries[at],
        expected: line.expected,
        measured: line.measured,
      };
    }
  }
  writeGoldenTable(table);
  return 0;
}

/** Adds an entry (pending) for every preset on every shipped model and every tour step the table lacks. */
async function add(): Promise<number> {
  const table = readGoldenTable();
  const links = new Set(table.entries.map((e) => e.link));
  const lab = await openLab('wasm');
  try {
    for (const { link, source } of await requiredLinks(lab)) {
      if (links.has(link)) continue;
      links.add(link);
      table.entries.push({ link, source, expected: null, fast: false });
    }
  } finally {
    await lab.dispose();
  }
  writeGoldenTable(table);
  return 0;
}

const [command, ...rest] = process.argv.slice(2);
const commands: Record<string, (args: string[]) => Promise<number> | number> = {
  check,
  measure,
  merge,
  add,
};
const run = commands[command ?? 'check'];
if (!run) {
  console.error(`unknown command "${command}" (known: ${Object.keys(commands).join(', ')})`);
  process.exitCode = 2;
} else {
  process.exitCode = await run(command === undefined ? [] : rest);
}
