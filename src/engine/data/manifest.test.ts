import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AssetError } from '../assets.ts';
import { decodeDataSetManifest, encodeDataSetManifest, type DataSetManifest } from './manifest.ts';

const file = (path: string, decodedBytes: number) => ({
  path,
  bytes: Math.ceil(decodedBytes / 5),
  encoding: 'gzip' as const,
  decodedBytes,
  sha256: 'ab'.repeat(32),
});
const split = (name: string, count: number) => ({
  count,
  classCounts: [count - 1, 1],
  images: file(`${name}-images.u8.gz`, count * 784),
  labels: file(`${name}-labels.u8.gz`, count),
});
const manifest: DataSetManifest = {
  format: 'complab-dataset',
  version: 1,
  id: 'tiny',
  source: 'made by hand',
  sources: [{ file: 'a.idx', sha256: 'cd'.repeat(32) }],
  validation: { count: 2, seed: 18 },
  splits: { train: split('train', 6), validation: split('validation', 2), test: split('test', 3) },
};
const bytesOf = (text: string) => new TextEncoder().encode(text);

describe('data set manifests', () => {
  it('read back what they wrote', () => {
    const text = encodeDataSetManifest(manifest);
    expect(text.endsWith('}\n')).toBe(true);
    expect(decodeDataSetManifest(bytesOf(text), 'm.json')).toEqual(manifest);
  });

  it('say what is wrong', () => {
    const decode = (value: unknown) => () =>
      decodeDataSetManifest(bytesOf(JSON.stringify(value)), 'm.json');
    expect(() => decodeDataSetManifest(bytesOf('{"format":'), 'm.json')).toThrow(
      'm.json is not valid JSON',
    );
    expect(decode({ ...manifest, version: 2 })).toThrow(
      /m\.json is not a data set manifest \(version:/,
    );
    const escaping = structuredClone(manifest);
    escaping.splits.test.images.path = '../../secret';
    expect(decode(escaping)).toThrow(/splits\.test\.images\.path/);
    const inconsistent = structuredClone(manifest);
    inconsistent.splits.validation.labels.decodedBytes = 3;
    expect(decode(inconsistent)).toThrow(
      /the validation split's 2 images disagree with its file sizes or class counts/,
    );
    expect(() => decodeDataSetManifest(new Uint8Array((1 << 20) + 1), 'm.json')).toThrow(
      /too large for a manifest/,
    );
  });

  it('fuzzed: any JSON and any mutation of a manifest decode or fail with one-line AssetErrors', () => {
    const text = encodeDataSetManifest(manifest);
    const inputs = fc.oneof(
      fc.json().map(bytesOf),
      fc.uint8Array({ maxLength: 200 }),
      fc
        .tuple(fc.nat({ max: text.length - 1 }), fc.string({ maxLength: 3 }))
        .map(([at, insert]) => bytesOf(text.slice(0, at) + insert + text.slice(at + 1))),
      fc.nat({ max: text.length }).map((cut) => bytesOf(text.slice(0, cut))),
    );
    fc.assert(
      fc.property(inputs, (bytes) => {
        try {
          const decoded = decodeDataSetManifest(bytes, 'm.json');
          for (const entry of Object.values(decoded.splits)) {
            expect(entry.images.decodedBytes).toBe(entry.count * 784);
          }
        } catch (err) {
          expect(err).toBeInstanceOf(AssetError);
          expect((err as Error).message).not.toMatch(/\n/);
        }
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 1000) },
    );
  });
});
