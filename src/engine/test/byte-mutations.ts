/**
 * Byte-level mutations of a valid file for the decoders' fuzz tests: bit flips, bytes set to a
 * format's interesting values, little-endian u32s, inserts, deletes, duplicated spans and
 * truncations, applied in order.
 */
import fc from 'fast-check';

export type ByteMutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'u32'; at: number; value: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'duplicate'; at: number; length: number }
  | { kind: 'truncate'; at: number };

/** Mutations whose `set` writes one of `interestingBytes` (a format's delimiters or tags). */
export function byteMutations(interestingBytes: readonly number[]): fc.Arbitrary<ByteMutation> {
  return fc.oneof(
    fc.record({ kind: fc.constant('flip'), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({
      kind: fc.constant('set'),
      at: fc.nat(),
      value: fc.constantFrom(...interestingBytes),
    }),
    fc.record({
      kind: fc.constant('u32'),
      at: fc.nat(),
      value: fc.constantFrom(0, 1, 2, 255, 256, 65_535, 65_536, 2 ** 26, 2 ** 31 - 1, 2 ** 32 - 1),
    }),
    fc.record({
      kind: fc.constant('insert'),
      at: fc.nat(),
      bytes: fc.uint8Array({ maxLength: 8 }),
    }),
    fc.record({
      kind: fc.constant('delete'),
      at: fc.nat(),
      length: fc.integer({ min: 1, max: 16 }),
    }),
    fc.record({
      kind: fc.constant('duplicate'),
      at: fc.nat(),
      length: fc.integer({ min: 1, max: 64 }),
    }),
    fc.record({ kind: fc.constant('truncate'), at: fc.nat() }),
  ) as fc.Arbitrary<ByteMutation>;
}

export function mutateBytes(input: Uint8Array, mutations: readonly ByteMutation[]): Uint8Array {
  let bytes = input.slice();
  for (const m of mutations) {
    const at = bytes.length ? m.at % bytes.length : 0;
    switch (m.kind) {
      case 'flip':
        if (bytes.length) bytes[at] ^= 1 << m.bit;
        break;
      case 'set':
        if (bytes.length) bytes[at] = m.value;
        break;
      case 'u32':
        if (bytes.length >= 4) {
          new DataView(bytes.buffer).setUint32(Math.min(at, bytes.length - 4), m.value, true);
        }
        break;
      case 'insert':
        bytes = Uint8Array.from([...bytes.subarray(0, at), ...m.bytes, ...bytes.subarray(at)]);
        break;
      case 'delete':
        bytes = Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + m.length)]);
        break;
      case 'duplicate': {
        const span = bytes.subarray(at, at + m.length);
        bytes = Uint8Array.from([...bytes.subarray(0, at), ...span, ...bytes.subarray(at)]);
        break;
      }
      case 'truncate':
        bytes = bytes.slice(0, at);
        break;
    }
  }
  return bytes;
}
