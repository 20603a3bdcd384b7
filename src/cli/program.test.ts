import { parseCircular, parseDependencyTree } from 'dpdm';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cliReference } from '../../scripts/cli-docs.ts';
import { complab } from '../engine/test/complab-cli.ts';
import { main } from './main.ts';
import { modelOption, SHARED_OPTIONS } from './options.ts';
import { buildProgram } from './program.ts';

const root = join(import.meta.dirname, '..', '..');

/** Every command and the options it takes (those it took before commander, and --data, --seeds). */
const OPTIONS_BY_COMMAND: Record<string, string[]> = {
  eval: [
    'model',
    'recipe',
    'prune',
    'preset',
    'data',
    'seed',
    'backend',
    'cache',
    'export-model',
    'quiet',
    'json',
  ],
  compare: ['model', 'data', 'backend', 'cache', 'csv-per-class', 'csv-flips', 'quiet', 'json'],
  export: [
    'out',
    'model',
    'recipe',
    'prune',
    'preset',
    'data',
    'seed',
    'backend',
    'cache',
    'quiet',
    'json',
  ],
  sensitivity: [
    'model',
    'recipe',
    'data',
    'digits',
    'densities',
    'backend',
    'cache',
    'quiet',
    'json',
  ],
  reproduce: ['model', 'data', 'seeds', 'batches', 'backend', 'cache', 'quiet', 'json'],
  presets: ['model', 'data', 'json'],
  zoo: ['data', 'backend', 'quiet', 'json'],
  sweep: ['model', 'data', 'grid', 'out', 'jobs', 'shard', 'seed', 'cache', 'backend', 'quiet'],
};

/** What `complab ARGS` writes to stdout, run in this process, and its exit code. */
async function inProcess(...args: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const code = await main(args);
  vi.restoreAllMocks();
  return { code, stdout };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('complab help', () => {
  it('has every command the CLI had', () => {
    const names = buildProgram().commands.map((c) => c.name());
    expect([...names].sort()).toEqual(Object.keys(OPTIONS_BY_COMMAND).sort());
  });

  it.each(Object.entries(OPTIONS_BY_COMMAND))(
    '`complab help %s` lists its options and an example',
    async (name, options) => {
      const { code, stdout } = await inProcess('help', name);
      expect(code).toBe(0);
      expect(stdout).toMatch(new RegExp(`^Usage: complab ${name} `));
      for (const option of options) expect(stdout).toMatch(new RegExp(`\\n  --${option}\\b`));
      expect(stdout).toMatch(new RegExp(`\\nExamples:\\n(.*\\n)*  \\$ complab ${name} `));
      // `complab NAME --help` prints the same.
      expect((await inProcess(name, '--help')).stdout).toBe(stdout);
    },
  );

  it('works through bin/complab.mjs, exit code 0, nothing on stderr', async () => {
    const run = await complab('help', 'eval');
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('--export-model <dir>');
    expect(run.stdout).toContain('$ complab eval --model lenet5 --prune 0.9');
  });

  it('suggests the command meant for a mistyped one, in one line, exit code 2', async () => {
    for (const [typed, meant] of [
      ['evl', 'eval'],
      ['reproduec', 'reproduce'],
      ['sweeps', 'sweep'],
    ]) {
      const run = await complab(typed, '--model', 'lenet5');
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(`complab: unknown command "${typed}" (Did you mean ${meant}?)\n`);
    }
    const help = await complab('help', 'sensitivty');
    expect(help.code).toBe(2);
    expect(help.stderr).toBe('complab: unknown command "sensitivty" (Did you mean sensitivity?)\n');
  });

  it('refuses an unknown option with one clear line and exit code 2', async () => {
    const typo = await complab('eval', '--modle', 'lenet5');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe('complab: unknown option "--modle" (Did you mean --model?)\n');
    const foreign = await complab('zoo', '--grid', 'x');
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toBe('complab: unknown option "--grid" (try: complab help zoo)\n');
  });
});

describe('the shared options', () => {
  it('are each one definition, the same Option object in every command that takes it', () => {
    const commands = buildProgram().commands;
    for (const shared of SHARED_OPTIONS) {
      const users = commands.filter((c) => c.options.some((o) => o.long === shared.long));
      expect(users.length, shared.long).toBeGreaterThanOrEqual(2);
      for (const c of users) {
        expect(
          c.options.find((o) => o.long === shared.long),
          `${c.name()} ${shared.long}`,
        ).toBe(shared);
      }
    }
    const takesModel = commands.filter((c) => c.options.includes(modelOption)).map((c) => c.name());
    expect(takesModel.sort()).toEqual(
      Object.keys(OPTIONS_BY_COMMAND)
        .filter((name) => OPTIONS_BY_COMMAND[name].includes('model'))
        .sort(),
    );
  });
});

describe('scripts/cli-docs.ts', () => {
  it('writes a section per registered command, each with its options and examples', () => {
    const page = cliReference();
    const sections = page.split(/^## /m).slice(1);
    const program = buildProgram();
    expect(sections.map((s) => s.split('\n')[0])).toEqual(program.commands.map((c) => c.name()));
    for (const section of sections) {
      const name = section.split('\n')[0];
      expect(section).toContain(`complab ${name} [options]`);
      for (const option of OPTIONS_BY_COMMAND[name])
        expect(section).toContain(`| \`--${option}\` |`);
      expect(section).toMatch(new RegExp(`\\*\\*Examples\\*\\*\\n\\n\`\`\`sh\\n# .*\\ncomplab `));
    }
  });
});

describe('the modules of src/cli', () => {
  it('import each other in no cycle, dynamic imports included', async () => {
    const tree = await parseDependencyTree('src/cli/**/*.ts', {
      context: root,
      cwd: root,
      transform: true,
    });
    expect(parseCircular(tree)).toEqual([]);
  });

  it('load no tfjs and no engine before a command runs (help stays fast)', async () => {
    const tree = await parseDependencyTree('src/cli/main.ts', {
      context: root,
      cwd: root,
      transform: true,
      skipDynamicImports: true,
    });
    const loaded = [
      ...Object.keys(tree),
      ...Object.values(tree).flatMap((deps) => (deps ?? []).map((d) => d.id ?? d.request)),
    ];
    expect(loaded).toContain('src/cli/commands/eval.ts');
    expect(loaded.filter((id) => /@tensorflow|\/zod\/|src\/engine\/lab\.ts/.test(id))).toEqual([]);
  });
});
