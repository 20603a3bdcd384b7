import { describe, expect, it } from 'vitest';
import { UserDataError } from './errors.ts';
import { labelledImagesFromNpy } from './labelled.ts';
import { npyIntegers, parseNpy, parseNpyHeader } from './npy.ts';

/** A .npy file written by hand as numpy.lib.format describes it (padded to 64 bytes). */
function npyBytes(version: 1 | 2 | 3, header: string, data: number[]): Uint8Array {
  const prefixLength = version === 1 ? 10 : 12;
  let text = header;
  while ((prefixLength + text.length + 1) % 64 !== 0) text += ' ';
  text += '\n';
  const out = new Uint8Array(prefixLength + text.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, text.length, true);
  else view.setUint32(8, text.length, true);
  for (let i = 0; i < text.length; i++) out[prefixLength + i] = text.charCodeAt(i);
  out.set(data, prefixLength + text.length);
  return out;
}

const names = { images: 'images.npy', labels: 'labels.npy', classes: 'classes.txt' };
const int64 = (values: number[]): number[] =>
  values.flatMap((value) => [value & 0xff, (value >> 8) & 0xff, 0, 0, 0, 0, 0, 0]);

describe('.npy header parsing', () => {
  it('reads a version 1 header and its uint8 data', () => {
    const bytes = npyBytes(
      1,
      "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2, 3), }",
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
    );
    const array = parseNpy(bytes, 'a.npy', ['u1'], 'images');
    expect(array.header).toEqual({
      version: 1,
      descr: '|u1',
      fortranOrder: false,
      shape: [2, 2, 3],
      // 10-byte prefix + a 63-character header + '\n', padded to the next multiple of 64.
      dataOffset: 128,
    });
    expect([...array.data]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('reads version 2 (4-byte header length) and version 3 headers, int64 and int16 labels', () => {
    const v2 = npyBytes(
      2,
      "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }",
      int64([0, 1, 258]),
    );
    const array = parseNpy(v2, 'b.npy', ['i8'], 'labels');
    expect(array.header.version).toBe(2);
    expect(array.header.dataOffset).toBe(v2.length - 24);
    expect([...npyIntegers(array, 'b.npy')]).toEqual([0, 1, 258]);
    // int16 -2 is 0xfffe little-endian.
    const v3 = npyBytes(
      3,
      '{"descr": "<i2", "fortran_order": False, "shape": (2,)}',
      [5, 0, 0xfe, 0xff],
    );
    const signed = parseNpy(v3, 'c.npy', ['i2'], 'labels');
    expect(signed.header.version).toBe(3);
    expect([...npyIntegers(signed, 'c.npy')]).toEqual([5, -2]);
  });

  it('refuses what is not a .npy file, naming it', () => {
    expect(() => parseNpyHeader(new TextEncoder().encode('PK\u0003\u0004 zip'), 'x.npy')).toThrow(
      /x\.npy is not a NumPy \.npy file: it does not start with the \.npy magic/,
    );
    const future = npyBytes(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (1,), }", [0]);
    future[6] = 4;
    expect(() => parseNpyHeader(future, 'f.npy')).toThrow(/f\.npy .*format version 4/);
    const truncated = npyBytes(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (1,), }", [0]);
    expect(() => parseNpyHeader(truncated.subarray(0, 30), 't.npy')).toThrow(
      /t\.npy .*ends inside the header/,
    );
    expect(() =>
      parseNpyHeader(npyBytes(1, "{'descr': '|u1', 'shape': (1,), }", [0]), 'd.npy'),
    ).toThrow(/d\.npy .*no boolean 'fortran_order'/);
    expect(() =>
      parseNpyHeader(
        npyBytes(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (1, -2), }", []),
        'n.npy',
      ),
    ).toThrow(/n\.npy .*not a dict literal/);
  });

  it('checks the header length cap before reading it', () => {
    const bytes = new Uint8Array(12);
    bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0]);
    new DataView(bytes.buffer).setUint32(8, 0x7fffffff, true);
    expect(() => parseNpyHeader(bytes, 'h.npy')).toThrow(
      /h\.npy .*header claims 2147483647 bytes, more than the 10000 allowed/,
    );
  });

  it('checks the shape against the bytes present', () => {
    const short = npyBytes(
      1,
      "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2, 2), }",
      [1, 2, 3],
    );
    expect(() => parseNpy(short, 's.npy', ['u1'], 'images')).toThrow(
      /s\.npy has 3 data bytes, but its shape \(2, 2, 2\) of '\|u1' needs 8/,
    );
    // A shape whose product overflows is refused the same way, before any allocation.
    const huge = npyBytes(
      1,
      "{'descr': '|u1', 'fortran_order': False, 'shape': (99999999999, 99999999999), }",
      [1],
    );
    expect(() => parseNpy(huge, 'g.npy', ['u1'], 'images')).toThrow(/g\.npy has 1 data bytes/);
  });

  it('refuses Fortran order, float, big-endian and other unsupported dtypes', () => {
    const fortran = npyBytes(
      1,
      "{'descr': '|u1', 'fortran_order': True, 'shape': (1, 1, 1), }",
      [0],
    );
    expect(() => parseNpy(fortran, 'o.npy', ['u1'], 'images')).toThrow(
      /o\.npy is stored in Fortran order/,
    );
    const float = npyBytes(
      1,
      "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }",
      [0, 0, 0, 0, 0, 0, 0, 0],
    );
    expect(() => parseNpy(float, 'p.npy', ['u1'], 'images')).toThrow(
      "p.npy holds dtype '<f8'; images must be uint8 (little-endian)",
    );
    const big = npyBytes(
      1,
      "{'descr': '>i4', 'fortran_order': False, 'shape': (1,), }",
      [0, 0, 0, 1],
    );
    expect(() => parseNpy(big, 'q.npy', ['i4', 'i8'], 'labels')).toThrow(
      "q.npy holds dtype '>i4'; labels must be int32 or int64 (little-endian)",
    );
  });
});

describe('NumPy pairs in memory', () => {
  const images = (count: number): Uint8Array =>
    npyBytes(
      1,
      `{'descr': '|u1', 'fortran_order': False, 'shape': (${count}, 1, 2), }`,
      Array.from({ length: count * 2 }, (_, i) => i),
    );
  const labels = (values: number[]): Uint8Array =>
    npyBytes(
      1,
      `{'descr': '<i8', 'fortran_order': False, 'shape': (${values.length},), }`,
      int64(values),
    );

  it('reads N x H x W images as one channel, labels from int64', () => {
    const read = labelledImagesFromNpy(images(3), labels([1, 0, 1]), names, undefined);
    expect(read.classCount).toBe(2);
    expect(read.images.shape).toEqual([1, 2, 1]);
    expect([...read.images.images]).toEqual([0, 1, 2, 3, 4, 5]);
    expect([...read.images.labels]).toEqual([1, 0, 1]);
  });

  it('refuses different lengths, labels outside the class list and negative labels', () => {
    expect(() => labelledImagesFromNpy(images(3), labels([0, 1]), names, undefined)).toThrow(
      'images.npy holds 3 images but labels.npy holds 2 labels; they must have the same length',
    );
    expect(() => labelledImagesFromNpy(images(2), labels([0, 2]), names, 2)).toThrow(
      'labels.npy: label 2 at index 1 is outside the 2 classes of classes.txt (labels 0 to 1)',
    );
    expect(() =>
      labelledImagesFromNpy(
        images(1),
        npyBytes(1, "{'descr': '|i1', 'fortran_order': False, 'shape': (1,), }", [0xff]),
        names,
        undefined,
      ),
    ).toThrow('labels.npy: label -1 at index 0 is negative');
  });

  it('refuses images with 2 or 4 channels and sides over 256', () => {
    const rgba = npyBytes(
      1,
      "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 1, 1, 4), }",
      [1, 2, 3, 4],
    );
    expect(() => labelledImagesFromNpy(rgba, labels([0]), names, undefined)).toThrow(
      /images\.npy has 4 channels/,
    );
    const wide = npyBytes(
      1,
      "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 1, 300), }",
      new Array(300).fill(0),
    );
    expect(() => labelledImagesFromNpy(wide, labels([0]), names, undefined)).toThrow(UserDataError);
    expect(() => labelledImagesFromNpy(wide, labels([0]), names, undefined)).toThrow(
      /images\.npy: images of 1 x 300 pixels; height and width must be 1 to 256/,
    );
  });
});
