import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { complab } from '../engine/test/complab-cli.ts';

const MODELS = 'test-fixtures/onnx/models';
const reference = JSON.parse(readFileSync(join(MODELS, 'models.json'), 'utf8')) as {
  models: Record<string, { pytorch: { correct: number } }>;
};

interface Evaluated {
  readonly correct: number;
  readonly total: number;
  readonly params: number;
  readonly nonzeroParams: number;
}

async function evaluate(...args: string[]): Promise<Evaluated> {
  const run = await complab('eval', ...args, '--data', 'mnist', '--json', '--quiet');
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as Evaluated;
}

describe('complab eval --model FILE.onnx', () => {
  it("evaluates a PyTorch-trained BN CNN to PyTorch's correct count within 3", async () => {
    const model = `${MODELS}/bn_cnn_opset11.onnx`;
    const result = await evaluate('--model', model);
    expect(result.total).toBe(10000);
    const pytorch = reference.models['bn_cnn_opset11.onnx'].pytorch.correct;
    expect(Math.abs(result.correct - pytorch)).toBeLessThanOrEqual(3);
  }, 120_000);

  it('prunes and quantizes an imported MLP', async () => {
    const model = `${MODELS}/mlp_opset13.onnx`;
    const recipe = `v=2&model=${model}&data=mnist&seed=1&steps=prune(fraction=0.5);weighted-entropy(weightBits=*:8)`;
    const result = await evaluate('--model', model, '--recipe', recipe);
    expect(result.nonzeroParams).toBeLessThan(0.51 * result.params);
    const pytorch = reference.models['mlp_opset13.onnx'].pytorch.correct;
    // Half the weights gone and 8-bit levels: a fraction of a point on this MLP.
    expect(result.correct).toBeGreaterThan(pytorch - 100);
  }, 120_000);

  it('names the file and what is wrong with it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'complab-onnx-'));
    const junk = join(dir, 'junk.onnx');
    writeFileSync(junk, new Uint8Array([0x0b, 0x0c, 0x0d, 0x0e]));
    const cases: [string, RegExp][] = [
      [
        join(dir, 'missing.onnx'),
        /missing\.onnx: no such file \(a path ending in \.onnx is read as an ONNX model\)/,
      ],
      [junk, /junk\.onnx is not an ONNX model/],
      [
        'test-fixtures/onnx/node/test_relu/model.onnx',
        /model\.onnx: the output "y" is \[N, 4, 5\]; the lab imports classifiers/,
      ],
    ];
    for (const [model, message] of cases) {
      const run = await complab('eval', '--model', model, '--data', 'mnist');
      expect(run.code).not.toBe(0);
      expect(run.stderr).toMatch(message);
    }
  }, 60_000);
});
