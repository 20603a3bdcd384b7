/**
 * Files written before the file format's version 5 still decode to the same model: the
 * fixtures were written by the version 3/4 encoder (fixtures/make-fixtures.ts), and
 * expected.json holds the digest of the weights that code decoded them to.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../node/backend.ts';
import { decodedDigest } from './fixtures/decoded-digest.ts';
import { decodeModel, encodeModel } from './model-file.ts';

const fixture = (name: string) =>
  new Uint8Array(readFileSync(new URL(`fixtures/${name}`, import.meta.url)));
const expected = JSON.parse(
  readFileSync(new URL('fixtures/expected.json', import.meta.url), 'utf8'),
) as Record<string, { fileSha256: string; bytes: number; decodedDigest: string }>;

beforeAll(async () => {
  await useNodeBackend('wasm');
});

describe('compact files of versions 3 and 4', () => {
  it('are all here', () => {
    expect(Object.keys(expected).sort()).toEqual([
      'lenet300-deep-compression.clw3',
      'lenet300-pruned-floats.clw3',
      'lenet5-every-coding.clw3',
      'two-dense-pruned-binary.clw4',
    ]);
  });

  it.each(Object.entries(expected))(
    '%s decodes to the weights it decoded to when written',
    (name, want) => {
      const bytes = fixture(name);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(want.fileSha256);
      expect(String.fromCharCode(...bytes.subarray(0, 4))).toBe(
        name.endsWith('clw4') ? 'CLW4' : 'CLW3',
      );
      const graph = decodeModel(bytes);
      expect(decodedDigest(graph)).toBe(want.decodedDigest);
      // Written again in its own version: the same bytes, as links of recipe version 1 promise.
      expect(Buffer.from(encodeModel(graph, { version: 3 }).bytes).equals(Buffer.from(bytes))).toBe(
        true,
      );
      // Written in version 5: the same weights.
      const v5 = encodeModel(graph, { version: 5 });
      expect(String.fromCharCode(...v5.bytes.subarray(0, 4))).toBe('CLW5');
      expect(decodedDigest(decodeModel(v5.bytes))).toBe(want.decodedDigest);
    },
  );

  it('take more bytes than version 5 where layout 1 pads long gaps', () => {
    const bytes = fixture('lenet300-pruned-floats.clw3');
    const v5 = encodeModel(decodeModel(bytes), { version: 5 });
    const sparse = v5.tensors.filter((t) => t.layout === 'sparse');
    expect(sparse.length).toBe(3);
    expect(v5.bytes.length).toBeLessThan(bytes.length);
  });
});
