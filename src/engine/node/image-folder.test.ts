import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { crc32, deflateSync } from 'node:zlib';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { compareCodePoints, parseClassesText } from '../data/user/classes.ts';
import { pixelTransform } from '../data/user/spec.ts';
import { readUserDataSet, UserDataError } from './image-folder.ts';

const fixtures = join(import.meta.dirname, '..', '..', '..', 'test-fixtures', 'images');
const pngFolder = join(fixtures, 'fashion-colour-32');
const npyFolder = join(fixtures, 'fashion-colour-32-npy');
const CLASSES = ['ankle-boot', 'bag', 'sandal', 't-shirt', 'trouser'];

const scratch = mkdtempSync(join(tmpdir(), 'complab-userdata-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let folders = 0;
/** A fresh folder under the scratch folder. */
const freshFolder = (): string => {
  const path = join(scratch, `case-${folders++}`);
  mkdirSync(path);
  return path;
};

/** Writes an 8-bit PNG (colour type 0 grey, 2 RGB or 6 RGBA) of the given channel values. */
function writePng(
  path: string,
  width: number,
  height: number,
  channels: 1 | 3 | 4,
  values: number[],
): void {
  const png = new PNG({
    width,
    height,
    colorType: channels === 1 ? 0 : channels === 3 ? 2 : 6,
    inputColorType: channels === 1 ? 0 : channels === 3 ? 2 : 6,
    inputHasAlpha: channels === 4,
  });
  png.data = Buffer.from(values);
  writeFileSync(
    path,
    PNG.sync.write(png, {
      colorType: channels === 1 ? 0 : channels === 3 ? 2 : 6,
      inputColorType: channels === 1 ? 0 : channels === 3 ? 2 : 6,
      inputHasAlpha: channels === 4,
    }),
  );
}

/** A folder of classes, each with `count` grey w x h PNGs whose pixels are the image's number. */
function greyFolder(root: string, classes: string[], count: number, size = [2, 3]): void {
  classes.forEach((name, c) => {
    mkdirSync(join(root, name), { recursive: true });
    for (let i = 0; i < count; i++) {
      writePng(
        join(root, name, `${i}.png`),
        size[1],
        size[0],
        1,
        new Array(size[0] * size[1]).fill(c * 10 + i),
      );
    }
  });
}

/** The data bytes of a C-order .npy file, read with Node's Buffer (an independent path). */
function npyData(path: string): Uint8Array {
  const bytes = readFileSync(path);
  const headerLength = bytes.readUInt16LE(8);
  return new Uint8Array(bytes.subarray(10 + headerLength));
}

describe('an image folder with train/ and test/', () => {
  it("decodes to the NumPy pair's exact pixels and labels; validation comes out of train", async () => {
    const data = await readUserDataSet(pngFolder);
    expect(data.name).toBe('fashion-colour-32');
    expect(data.classNames).toEqual(CLASSES);
    expect(data.shape).toEqual([32, 32, 3]);
    expect(data.spec.source).toBe('image-folder');
    expect(data.spec.splitting).toBe('folders');
    expect(data.spec.greyToRgb).toBeUndefined();
    const { train, validation, test } = data.splits;
    expect(test.count).toBe(100);
    // 40 training images per class: round(0.1 x 40) = 4 of each for validation.
    expect(validation.count).toBe(20);
    expect(train.count).toBe(180);
    for (const split of [train, validation, test]) {
      expect(split.shape).toEqual([32, 32, 3]);
      expect(split.classCount).toBe(5);
    }
    const counts = (labels: Uint8Array): number[] =>
      CLASSES.map((_, c) => labels.filter((l) => l === c).length);
    expect(counts(validation.labels)).toEqual([4, 4, 4, 4, 4]);
    expect(counts(train.labels)).toEqual([36, 36, 36, 36, 36]);
    // labels.npy is int64: byte 8i is label i (all below 256).
    const labelBytes = npyData(join(npyFolder, 'labels.npy'));
    expect([...test.labels]).toEqual(Array.from({ length: 100 }, (_, i) => labelBytes[8 * i]));
    expect(
      Buffer.from(test.images).equals(Buffer.from(npyData(join(npyFolder, 'images.npy')))),
    ).toBe(true);
  });

  it('the NumPy pair reads the same images, cut 80/10/10 by seeded stratified sampling', async () => {
    const png = await readUserDataSet(pngFolder);
    const npy = await readUserDataSet(npyFolder, { seed: 5 });
    expect(npy.classNames).toEqual(CLASSES);
    expect(npy.spec).toMatchObject({ source: 'numpy', splitting: 'stratified', seed: 5 });
    const { train, validation, test } = npy.splits;
    expect([train.count, validation.count, test.count]).toEqual([80, 10, 10]);
    // Every image of the pair is one of the PNG folder's test images, with its label.
    const size = 32 * 32 * 3;
    const pngImages = new Map<string, number>();
    for (let i = 0; i < 100; i++) {
      pngImages.set(
        Buffer.from(png.splits.test.images.subarray(i * size, (i + 1) * size)).toString('base64'),
        png.splits.test.labels[i],
      );
    }
    for (const split of [train, validation, test]) {
      for (let i = 0; i < split.count; i++) {
        const key = Buffer.from(split.images.subarray(i * size, (i + 1) * size)).toString('base64');
        expect(pngImages.get(key)).toBe(split.labels[i]);
      }
    }
  });

  it('names the data by a hash of images, labels, classes and spec: the same seed, the same hash', async () => {
    const a = await readUserDataSet(npyFolder, { seed: 5 });
    const b = await readUserDataSet(npyFolder, { seed: 5 });
    const c = await readUserDataSet(npyFolder, { seed: 6 });
    const d = await readUserDataSet(npyFolder, {
      seed: 5,
      mean: [0.5, 0.5, 0.5],
      std: [0.25, 0.25, 0.25],
    });
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(b.hash).toBe(a.hash);
    for (const name of ['train', 'validation', 'test'] as const) {
      expect(Buffer.from(b.splits[name].images).equals(Buffer.from(a.splits[name].images))).toBe(
        true,
      );
      expect([...b.splits[name].labels]).toEqual([...a.splits[name].labels]);
    }
    expect(c.hash).not.toBe(a.hash);
    expect(d.hash).not.toBe(a.hash);
    expect(d.spec).toMatchObject({
      scale: '1/255',
      mean: [0.5, 0.5, 0.5],
      std: [0.25, 0.25, 0.25],
    });
    // (255 / 255 - 0.5) / 0.25 = 2 and (0 - 0.5) / 0.25 = -2.
    const { scale, offset } = pixelTransform(d.spec, 3);
    expect(255 * scale[0] + offset[0]).toBeCloseTo(2, 6);
    expect(offset[2]).toBeCloseTo(-2, 6);
  });
});

describe('NumPy pairs a reader must refuse', () => {
  it('different lengths, float64 images, a label outside the class list', async () => {
    await expect(readUserDataSet(join(npyFolder, 'bad-lengths'))).rejects.toThrow(
      /bad-lengths\/images\.npy holds 4 images but .*bad-lengths\/labels\.npy holds 3 labels/,
    );
    await expect(readUserDataSet(join(npyFolder, 'bad-dtype'))).rejects.toThrow(
      /bad-dtype\/images\.npy holds dtype '<f8'; images must be uint8/,
    );
    await expect(readUserDataSet(join(npyFolder, 'bad-label'))).rejects.toThrow(
      /bad-label\/labels\.npy: label 5 at index \d+ is outside the 5 classes of .*classes\.txt/,
    );
  });

  it('Fortran order, and one class only', async () => {
    const header = (shape: string, fortran: string, descr: string): Buffer => {
      let text = `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;
      while ((10 + text.length + 1) % 64 !== 0) text += ' ';
      const prefix = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0, 0]);
      prefix.writeUInt16LE(text.length + 1, 8);
      return Buffer.concat([prefix, Buffer.from(`${text}\n`, 'latin1')]);
    };
    const fortran = freshFolder();
    writeFileSync(
      join(fortran, 'images.npy'),
      Buffer.concat([header('(2, 1, 2)', 'True', '|u1'), Buffer.alloc(4)]),
    );
    writeFileSync(
      join(fortran, 'labels.npy'),
      Buffer.concat([header('(2,)', 'False', '|u1'), Buffer.from([0, 1])]),
    );
    await expect(readUserDataSet(fortran)).rejects.toThrow(
      /images\.npy is stored in Fortran order/,
    );

    const single = freshFolder();
    writeFileSync(
      join(single, 'images.npy'),
      Buffer.concat([header('(3, 1, 2)', 'False', '|u1'), Buffer.alloc(6)]),
    );
    writeFileSync(
      join(single, 'labels.npy'),
      Buffer.concat([header('(3,)', 'False', '|u1'), Buffer.from([0, 0, 0])]),
    );
    await expect(readUserDataSet(single)).rejects.toThrow(
      /labels\.npy names 1 class; a classifier needs at least 2/,
    );
  });
});

describe('image folders', () => {
  it('sorts class folders by code point, as Python sorted() does, or takes classes.txt', async () => {
    // Code points: 'B' 66 < '_' 95 < 'a' 97 (a locale sort would put '_' or 'a' first).
    const root = freshFolder();
    greyFolder(root, ['a', 'B', '_'], 3);
    const data = await readUserDataSet(root);
    expect(data.classNames).toEqual(['B', '_', 'a']);
    expect(data.shape).toEqual([2, 3, 1]);
    // Each class's images hold 10 x (its index in creation order) + i: 'a' 0.., 'B' 10.., '_' 20..
    const all = [data.splits.train, data.splits.validation, data.splits.test];
    for (const split of all) {
      for (let i = 0; i < split.count; i++) {
        expect(Math.floor(split.images[i * 6] / 10)).toBe([1, 2, 0][split.labels[i]]);
      }
    }
    expect(all.map((split) => split.count)).toEqual([3, 3, 3]);
    // U+1F600 is one code point above U+FF61, though its first UTF-16 unit (U+D83D) is below.
    expect(compareCodePoints('\u{1F600}', '\uFF61')).toBeGreaterThan(0);
    expect(['\u{1F600}', '\uFF61'].sort(compareCodePoints)).toEqual(['\uFF61', '\u{1F600}']);

    writeFileSync(join(root, 'classes.txt'), 'a\n_\nB\n');
    const named = await readUserDataSet(root);
    expect(named.classNames).toEqual(['a', '_', 'B']);
    const split = named.splits.train;
    for (let i = 0; i < split.count; i++) {
      expect(Math.floor(split.images[i * 6] / 10)).toBe([0, 2, 1][split.labels[i]]);
    }
  });

  it('refuses one class only, a folder not in classes.txt, and a class with too few images', async () => {
    const one = freshFolder();
    greyFolder(one, ['cats'], 4);
    await expect(readUserDataSet(one)).rejects.toThrow(
      /names 1 class; a classifier needs at least 2/,
    );

    const stray = freshFolder();
    greyFolder(stray, ['cats', 'dogs', 'owls'], 3);
    writeFileSync(join(stray, 'classes.txt'), 'cats\ndogs\n');
    await expect(readUserDataSet(stray)).rejects.toThrow(
      /owls is not one of the classes \(cats, dogs\)/,
    );

    const few = freshFolder();
    greyFolder(few, ['cats', 'dogs'], 3);
    rmSync(join(few, 'dogs', '2.png'));
    await expect(readUserDataSet(few)).rejects.toThrow(
      /class "dogs" has 2 images; it needs at least 3 to have one in each of train, validation and test/,
    );
  });

  it('refuses mixed sizes naming two images, unless a resize is chosen', async () => {
    const root = freshFolder();
    greyFolder(root, ['cats', 'dogs'], 3);
    writePng(join(root, 'dogs', '1.png'), 4, 4, 1, new Array(16).fill(7));
    await expect(readUserDataSet(root)).rejects.toThrow(
      /images of different sizes: .*cats\/0\.png is 2 x 3 but .*dogs\/1\.png is 4 x 4; choose a resize/,
    );
    const resized = await readUserDataSet(root, {
      resize: { size: [4, 4], interpolation: 'nearest' },
    });
    expect(resized.shape).toEqual([4, 4, 1]);
    expect(resized.spec.resize).toEqual({ size: [4, 4], interpolation: 'nearest' });
    expect(resized.splits.train.images.length).toBe(resized.splits.train.count * 16);
    await expect(
      readUserDataSet(root, { resize: { size: [300, 4], interpolation: 'bilinear' } }),
    ).rejects.toThrow(/resize: images of 300 x 4 pixels; height and width must be 1 to 256/);
  });

  it('refuses a corrupt image, naming it', async () => {
    const root = freshFolder();
    greyFolder(root, ['cats', 'dogs'], 3);
    writeFileSync(join(root, 'dogs', '1.png'), 'not a picture');
    await expect(readUserDataSet(root)).rejects.toThrow(/dogs\/1\.png is not a PNG image/);
    // A PNG with a valid header whose image data is cut off.
    const whole = readFileSync(join(root, 'cats', '0.png'));
    writeFileSync(join(root, 'dogs', '1.png'), whole.subarray(0, whole.length - 20));
    await expect(readUserDataSet(root)).rejects.toThrow(UserDataError);
    await expect(readUserDataSet(root)).rejects.toThrow(/dogs\/1\.png is a corrupt PNG image/);
    writeFileSync(join(root, 'dogs', '1.png'), whole);
    writeFileSync(join(root, 'dogs', '9.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2]));
    await expect(readUserDataSet(root)).rejects.toThrow(/dogs\/9\.jpg is a corrupt JPEG image/);
  });

  it('RGBA gives 3 channels (alpha dropped); grey beside colour is replicated to 3', async () => {
    const root = freshFolder();
    greyFolder(root, ['cats', 'dogs'], 3, [1, 2]);
    // Two pixels, (10, 20, 30, alpha 0) and (40, 50, 60, alpha 255).
    writePng(join(root, 'dogs', '0.png'), 2, 1, 4, [10, 20, 30, 0, 40, 50, 60, 255]);
    const data = await readUserDataSet(root, { seed: 2 });
    expect(data.shape).toEqual([1, 2, 3]);
    expect(data.spec.greyToRgb).toBe(true);
    const pixels = [data.splits.train, data.splits.validation, data.splits.test].flatMap((split) =>
      Array.from({ length: split.count }, (_, i) => [...split.images.subarray(i * 6, i * 6 + 6)]),
    );
    expect(pixels).toContainEqual([10, 20, 30, 40, 50, 60]);
    // cats/1.png is grey 1 everywhere: three equal channels.
    expect(pixels).toContainEqual([1, 1, 1, 1, 1, 1]);
  });

  it('decodes a JPEG close to the pixels it was encoded from', async () => {
    const root = freshFolder();
    greyFolder(root, ['cats'], 3, [8, 8]);
    mkdirSync(join(root, 'dogs'));
    // A smooth 8 x 8 colour gradient, encoded at quality 95 by jpeg-js.
    const rgba = new Uint8Array(8 * 8 * 4);
    for (let p = 0; p < 64; p++) rgba.set([(p % 8) * 30, Math.floor(p / 8) * 30, 128, 255], 4 * p);
    const encoded = jpeg.encode({ width: 8, height: 8, data: rgba }, 95).data;
    for (let i = 0; i < 3; i++) writeFileSync(join(root, 'dogs', `${i}.jpeg`), encoded);
    const data = await readUserDataSet(root);
    expect(data.shape).toEqual([8, 8, 3]);
    const test = data.splits.test;
    const dog = test.labels.indexOf(1);
    const decoded = test.images.subarray(dog * 192, (dog + 1) * 192);
    let worst = 0;
    for (let p = 0; p < 64; p++) {
      for (let c = 0; c < 3; c++)
        worst = Math.max(worst, Math.abs(decoded[3 * p + c] - rgba[4 * p + c]));
    }
    expect(worst).toBeLessThanOrEqual(12);
  });
});

/** A 16-bit greyscale PNG built chunk by chunk (PNG spec: IHDR, IDAT of filter 0 rows, IEND). */
function grey16Png(width: number, height: number, samples: number[]): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), body.length + 4);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([16, 0, 0, 0, 0], 8); // bit depth 16, colour type 0 (grey)
  const rows = Buffer.alloc(height * (1 + 2 * width));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++)
      rows.writeUInt16BE(samples[y * width + x], y * (1 + 2 * width) + 1 + 2 * x);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('more layouts and limits', () => {
  it('scales a 16-bit PNG to 8 bits: round(v x 255 / 65535)', async () => {
    const root = freshFolder();
    greyFolder(root, ['cats', 'dogs'], 3, [1, 3]);
    // 65535 -> 255, 32768 -> 127.5019 -> 128, 257 -> 1.
    writeFileSync(join(root, 'dogs', '0.png'), grey16Png(3, 1, [65535, 32768, 257]));
    const data = await readUserDataSet(root);
    const pixels = [data.splits.train, data.splits.validation, data.splits.test].flatMap((split) =>
      Array.from({ length: split.count }, (_, i) => [...split.images.subarray(i * 3, i * 3 + 3)]),
    );
    expect(pixels).toContainEqual([255, 128, 1]);
  });

  it('refuses an image larger than 256 pixels a side before decoding it, naming it', async () => {
    const root = freshFolder();
    greyFolder(root, ['cats', 'dogs'], 3, [1, 3]);
    writeFileSync(join(root, 'dogs', '0.png'), grey16Png(300, 1, new Array(300).fill(0)));
    await expect(readUserDataSet(root)).rejects.toThrow(
      /dogs\/0\.png is 1 x 300 pixels; height and width must be 1 to 256 \(choose a resize/,
    );
    const resized = await readUserDataSet(root, {
      resize: { size: [1, 3], interpolation: 'bilinear' },
    });
    expect(resized.shape).toEqual([1, 3, 1]);
  });

  it('train/ and test/ as NumPy pairs; test labels checked against the class list', async () => {
    const root = freshFolder();
    for (const part of ['train', 'test']) {
      mkdirSync(join(root, part));
      for (const file of ['images.npy', 'labels.npy']) {
        writeFileSync(join(root, part, file), readFileSync(join(npyFolder, file)));
      }
    }
    writeFileSync(join(root, 'classes.txt'), readFileSync(join(npyFolder, 'classes.txt')));
    const data = await readUserDataSet(root, { fractions: { validation: 0.2 } });
    expect(data.spec).toMatchObject({
      source: 'numpy',
      splitting: 'folders',
      fractions: { validation: 0.2, test: 0 },
    });
    expect([data.splits.train.count, data.splits.validation.count, data.splits.test.count]).toEqual(
      [80, 20, 100],
    );

    writeFileSync(
      join(root, 'test', 'labels.npy'),
      readFileSync(join(npyFolder, 'bad-label', 'labels.npy')),
    );
    writeFileSync(
      join(root, 'test', 'images.npy'),
      readFileSync(join(npyFolder, 'bad-label', 'images.npy')),
    );
    await expect(readUserDataSet(root)).rejects.toThrow(
      /test\/labels\.npy: label 5 at index \d+ is outside the 5 classes/,
    );
  });

  it('refuses train/ and test/ of different kinds, and a classes.txt with a blank or repeated line', async () => {
    const root = freshFolder();
    greyFolder(join(root, 'train'), ['cats', 'dogs'], 3);
    mkdirSync(join(root, 'test'));
    for (const file of ['images.npy', 'labels.npy']) {
      writeFileSync(join(root, 'test', file), readFileSync(join(npyFolder, file)));
    }
    await expect(readUserDataSet(root)).rejects.toThrow(
      /train\/ is an image folder but test\/ is a NumPy pair; both must be the same kind/,
    );
    expect(parseClassesText('cat\r\ndog\r\n\r\n', 'classes.txt')).toEqual(['cat', 'dog']);
    expect(() => parseClassesText('cat\n\ndog\n', 'classes.txt')).toThrow(
      'classes.txt: line 2 is blank',
    );
    expect(() => parseClassesText('cat\ndog\ncat\n', 'classes.txt')).toThrow(
      'classes.txt: class "cat" is on lines 1 and 3',
    );
  });

  it('refuses bad options before reading anything', async () => {
    await expect(
      readUserDataSet(pngFolder, { fractions: { validation: 0.6, test: 0.5 } }),
    ).rejects.toThrow(/split fractions validation 0.6 and test 0.5/);
    await expect(readUserDataSet(pngFolder, { mean: [0.5] })).rejects.toThrow(
      'mean needs 3 finite values (one per channel), got [0.5]',
    );
    await expect(readUserDataSet(join(pngFolder, 'nowhere'))).rejects.toThrow(
      /nowhere is not a folder/,
    );
  });
});
