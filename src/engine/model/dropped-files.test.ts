import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeModel } from '../encode/model-file.ts';
import { Lab, type ModelSource } from '../lab.ts';
import { useNodeBackend } from '../node/backend.ts';
import { parseRecipe } from '../recipe/share.ts';
import { publicAssets } from '../test/fixtures.ts';
import { checkDroppedSizes, droppedModel, type ModelFile } from './dropped-files.ts';
import { absentUserModelMessage, isUserModelId, userModelName } from './user-models.ts';
import { wideModelFiles } from '../test/io-fixtures.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const shipped = (path: string) => new Uint8Array(readFileSync(join(root, 'public', path)));
const onnxFixture = (name: string) =>
  new Uint8Array(readFileSync(join(root, 'test-fixtures', 'onnx', 'models', name)));

/** A lab whose only extra models are the ones given, as the page's worker holds them. */
function labWith(models: Map<string, ModelSource>) {
  return new Lab({ read: publicAssets, resolveModel: (id) => models.get(id) });
}

/** What the lab's loader says about dropped files (null when it accepts them). */
async function pageMessage(files: ModelFile[]): Promise<string | null> {
  try {
    const dropped = droppedModel(files);
    const lab = labWith(new Map([[dropped.id, dropped.source]]));
    await lab.baseGraph(dropped.id);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** What `complab eval --model` prints for the same files on disk, the folder's path left out. */
async function cliMessage(files: ModelFile[], model: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'complab-dropped-'));
  for (const f of files) writeFileSync(join(dir, f.name), f.bytes);
  const run = await promisify(execFile)(
    'node',
    ['bin/complab.mjs', 'eval', '--model', join(dir, model), '--quiet'],
    { cwd: root },
  ).then(
    () => ({ stderr: '' }),
    (err: { stderr: string }) => err,
  );
  return run.stderr
    .trim()
    .replace(/^complab: /, '')
    .replaceAll(`${dir}/`, '');
}

/** The compact file of the shipped LeNet-300-100, as complab export writes it. */
let compactLenet300: Uint8Array = new Uint8Array(0);
beforeAll(async () => {
  await useNodeBackend('wasm');
  compactLenet300 = encodeModel(await new Lab({ read: publicAssets }).baseGraph('lenet300')).bytes;
});

describe('droppedModel: files dropped on the page, read by the CLI’s loader', () => {
  it('accepts a tfjs model and a compact file, with the same correct count as from disk', async () => {
    const tfjs = droppedModel([
      { name: 'my-mlp.json', bytes: shipped('models/lenet300/model.json') },
      { name: 'weights.bin', bytes: shipped('models/lenet300/weights.bin') },
    ]);
    expect(tfjs.kind).toBe('layers');
    expect(tfjs.id).toMatch(/^user\/my-mlp\/[0-9a-f]{16}$/);
    expect(isUserModelId(tfjs.id)).toBe(true);
    expect(userModelName(tfjs.id)).toBe('my-mlp');

    const shippedLab = new Lab({ read: publicAssets });
    const recipe = 'seed=1&steps=prune(fraction=0.8)';
    const reference = await shippedLab.run(parseRecipe(`model=lenet300&${recipe}`));
    const pruned = await shippedLab.graphOf(parseRecipe(`model=lenet300&${recipe}`));
    const compact = droppedModel([{ name: 'pruned.clw', bytes: encodeModel(pruned).bytes }]);
    expect(compact.kind).toBe('compact');

    const lab = labWith(
      new Map([
        [tfjs.id, tfjs.source],
        [compact.id, compact.source],
      ]),
    );
    const fromDrop = await lab.run(parseRecipe(`model=${tfjs.id}&${recipe}`));
    expect(fromDrop.correct).toBe(reference.correct);
    // The compact file of the pruned network, as it is: the same network, the same digits.
    expect((await lab.run(parseRecipe(`model=${compact.id}&seed=1&steps=`))).correct).toBe(
      reference.correct,
    );
    // Other files, other id: a link never opens a different model of the same name.
    const other = droppedModel([
      { name: 'my-mlp.json', bytes: shipped('models/lenet300/model.json') },
      {
        name: 'weights.bin',
        bytes: shipped('models/lenet300/weights.bin').map((b, i) => (i === 7 ? b ^ 1 : b)),
      },
    ]);
    expect(other.id).not.toBe(tfjs.id);
    expect(userModelName(other.id)).toBe('my-mlp');
  }, 60_000);

  const cases: { what: string; files: () => ModelFile[]; model: string; expected: RegExp }[] = [
    {
      what: 'a picture dropped by mistake',
      files: () => [
        { name: 'digit.png', bytes: Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10) },
      ],
      model: 'digit.png',
      expected: /^digit\.png is not valid JSON/,
    },
    {
      what: 'a model of the wrong input size',
      files: wideModelFiles,
      model: 'wide.json',
      expected:
        /^wide\.json takes input \[100\]; the lab feeds 28x28 digits as \[28,28,1\] or \[784\]$/,
    },
    {
      what: 'truncated weights',
      files: () => [
        { name: 'model.json', bytes: shipped('models/lenet300/model.json') },
        { name: 'weights.bin', bytes: shipped('models/lenet300/weights.bin').subarray(0, 1000) },
      ],
      model: 'model.json',
      expected: /^the weights of model\.json hold 1000 bytes but its manifest needs 1066440/,
    },
    {
      what: 'a truncated ONNX file',
      files: () => [
        { name: 'cut.onnx', bytes: onnxFixture('bn_cnn_opset11.onnx').subarray(0, 5000) },
      ],
      model: 'cut.onnx',
      expected: /^cut\.onnx/,
    },
    {
      what: 'a truncated compact file',
      files: () => [
        { name: 'cut.clw', bytes: compactLenet300.subarray(0, compactLenet300.length - 3) },
      ],
      model: 'cut.clw',
      expected: /^compact model file is truncated/,
    },
  ];
  for (const c of cases) {
    it(`refuses ${c.what} with the CLI's message`, async () => {
      const files = c.files();
      const page = await pageMessage(files);
      expect(page).toMatch(c.expected);
      expect(page).toBe(await cliMessage(files, c.model));
    }, 30_000);
  }

  it('accepts an ONNX model from PyTorch: the correct count PyTorch itself gives', async () => {
    const models = JSON.parse(
      readFileSync(join(root, 'test-fixtures', 'onnx', 'models', 'models.json'), 'utf8'),
    ) as { models: Record<string, { pytorch: { correct: number } }> };
    const dropped = droppedModel([
      { name: 'bn_cnn_opset11.onnx', bytes: onnxFixture('bn_cnn_opset11.onnx') },
    ]);
    expect(dropped.kind).toBe('onnx');
    expect(dropped.id).toMatch(/^user\/bn_cnn_opset11\/[0-9a-f]{16}$/);
    const lab = labWith(new Map([[dropped.id, dropped.source]]));
    const result = await lab.run(parseRecipe(`model=${dropped.id}&data=mnist&seed=1&steps=`));
    expect(result.total).toBe(10_000);
    expect(result.correct).toBe(models.models['bn_cnn_opset11.onnx'].pytorch.correct);
  }, 120_000);

  it('says which imported model a link needs', async () => {
    const files = [{ name: 'digit.png', bytes: Uint8Array.of(1) }];
    expect(() => droppedModel([])).toThrow('no file was dropped');
    expect(() => droppedModel([...files, { name: 'a.bin', bytes: Uint8Array.of(2) }])).toThrow(
      'none of the dropped files (digit.png, a.bin) is a model.json or a compact model file',
    );
    expect(absentUserModelMessage('user/my-mlp/0123456789abcdef')).toBe(
      'this link needs the model "my-mlp" (user/my-mlp/0123456789abcdef) that was imported in another browser; it is not in this one, so import its files here (drop them on the page) to open the run',
    );
  });
});

describe('checkDroppedSizes: a drop too large is refused from its sizes alone', () => {
  // 100 MB a file, 250 MB in all, 64 files: the limits the page's hint states.
  it.each([
    [[{ name: 'weights.bin', size: 100_000_000 }], null],
    [
      [{ name: 'weights.bin', size: 100_000_001 }],
      'weights.bin is 100,000,001 bytes; the lab reads at most 100 MB a file and 250 MB in all',
    ],
    [
      [
        { name: 'a.bin', size: 100_000_000 },
        { name: 'b.bin', size: 100_000_000 },
        { name: 'model.json', size: 50_000_000 },
      ],
      null,
    ],
    [
      [
        { name: 'a.bin', size: 100_000_000 },
        { name: 'b.bin', size: 100_000_000 },
        { name: 'model.json', size: 50_000_001 },
      ],
      'the 3 files hold 250,000,001 bytes; the lab reads at most 100 MB a file and 250 MB in all',
    ],
    [
      Array.from({ length: 65 }, (_, i) => ({ name: `s${i}.bin`, size: 1 })),
      '65 files were dropped; a model is a model.json with at most 63 weight files',
    ],
  ])('%j: %s', (files, message) => {
    if (message === null) expect(() => checkDroppedSizes(files)).not.toThrow();
    else expect(() => checkDroppedSizes(files)).toThrow(message);
  });

  it('holds for bytes already read, before hashing them', () => {
    const big = new Uint8Array(100_000_001);
    expect(() => droppedModel([{ name: 'huge.clw', bytes: big }])).toThrow(
      'huge.clw is 100,000,001 bytes',
    );
  });
});
