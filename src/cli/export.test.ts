import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { complab } from '../engine/test/complab-cli.ts';

describe('complab export', () => {
  it('writes a file of the reported size that complab eval --model decodes to the same accuracy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'complab-export-'));
    const out = join(dir, 'lenet300.clw');
    const recipe =
      'v=1&model=lenet300&seed=1&steps=prune-density(density=fc1:0.1|*:0.3);kmeans(bits=*:4);huffman()';
    const written = await complab('export', '--recipe', recipe, '--out', out, '--quiet', '--json');
    expect(written.code).toBe(0);
    const summary = JSON.parse(written.stdout) as { sizeBytes: number; accuracy: number };
    expect(statSync(out).size).toBe(summary.sizeBytes);

    const evaluated = await complab('eval', '--recipe', recipe, '--quiet', '--json');
    const expected = JSON.parse(evaluated.stdout) as { sizeBytes: number; accuracy: number };
    expect(expected.sizeBytes).toBe(summary.sizeBytes);

    const back = await complab('eval', '--model', out, '--data', 'mnist-10k', '--quiet', '--json');
    expect(back.code).toBe(0);
    const fromFile = JSON.parse(back.stdout) as { sizeBytes: number; accuracy: number };
    expect(fromFile.accuracy).toBe(expected.accuracy);
    expect(fromFile.sizeBytes).toBe(summary.sizeBytes);

    // A truncated file and a foreign one: one line, non-zero exit.
    const truncated = join(dir, 'truncated.clw');
    writeFileSync(truncated, readFileSync(out).subarray(0, statSync(out).size - 3));
    const broken = await complab('eval', '--model', truncated, '--quiet');
    expect(broken.code).toBe(1);
    expect(broken.stderr.trim().split('\n')).toHaveLength(1);
    expect(broken.stderr).toMatch(/^complab: .*(truncated|does not decode)/);
    const missing = await complab('export', '--recipe', recipe, '--quiet');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--out FILE/);
  }, 120_000);

  it("the review's pruned BinaryConnect: the file evaluates to the accuracy export reported", async () => {
    // Before layout 6 the file lost the mask: 80.90% reported, 10.70% (214 of 2,000) from it.
    const dir = mkdtempSync(join(tmpdir(), 'complab-export-'));
    const out = join(dir, 'binary.clw');
    const recipe = 'steps=prune(fraction=0.5);binaryconnect(epochs=1,batches=2)';
    const written = await complab(
      'export',
      '--model',
      'lenet300',
      '--recipe',
      recipe,
      '--out',
      out,
      '--quiet',
      '--json',
    );
    expect(written.code).toBe(0);
    const summary = JSON.parse(written.stdout) as { sizeBytes: number; accuracy: number };
    expect(statSync(out).size).toBe(summary.sizeBytes);
    const back = await complab('eval', '--model', out, '--data', 'mnist-10k', '--quiet', '--json');
    const fromFile = JSON.parse(back.stdout) as { accuracy: number; nonzeroParams: number };
    expect(fromFile.accuracy).toBe(summary.accuracy);
    // 50% of the 266,200 kernel weights pruned; biases are nonzero.
    expect(fromFile.nonzeroParams).toBeLessThan(266_610 - 133_000);
  }, 180_000);
});
