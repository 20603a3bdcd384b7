/**
 * The idx format of MNIST and Fashion-MNIST (LeCun's "idx3-ubyte" / "idx1-ubyte" files): two
 * zero bytes, a type byte, a dimension count, then each dimension as a big-endian uint32, then
 * the values in row-major order. The lab reads unsigned bytes (type 0x08) only: both data sets
 * store their pixels and labels that way. One decoder and one encoder (for tests and fuzzing);
 * the decoder checks every declared size against the caps and the bytes present before it
 * allocates anything, and returns a view of the input, not a copy.
 */
import { AssetError } from '../assets.ts';

export class IdxFormatError extends AssetError {
  constructor(message: string) {
    super(message);
    this.name = 'IdxFormatError';
  }
}

/** The only value type the lab reads: unsigned bytes. */
export const IDX_UBYTE = 0x08;

const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

export interface IdxCaps {
  /** Most dimensions accepted (images: 3, labels: 1). */
  readonly maxDims: number;
  /** Most value bytes accepted: the data set's largest file is 47,040,000 (MNIST's 60,000 images). */
  readonly maxBytes: number;
}

export const DEFAULT_IDX_CAPS: IdxCaps = { maxDims: 4, maxBytes: 1 << 27 };

export interface IdxArray {
  /** The size of each dimension, outermost first (MNIST images: [count, 28, 28]). */
  readonly dims: readonly number[];
  /** The values, row-major: product(dims) bytes. */
  readonly data: Uint8Array;
}

/**
 * Reads an idx file of unsigned bytes. `name` goes into the messages (a file name).
 * Throws IdxFormatError naming what is wrong: the magic, the type, the dimensions, a cap, or a
 * declared size that the bytes present do not match (truncated or with trailing bytes).
 */
export function decodeIdx(
  bytes: Uint8Array,
  name = 'idx file',
  caps: IdxCaps = DEFAULT_IDX_CAPS,
): IdxArray {
  if (bytes.length < 4) {
    throw new IdxFormatError(`${name} is not an idx file: ${bytes.length} bytes, too short`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new IdxFormatError(
      `${name} is not an idx file: it must start with two zero bytes, not 0x${hex(bytes[0])} 0x${hex(bytes[1])} (a gzip file starts 0x1f 0x8b: decompress it first)`,
    );
  }
  const type = bytes[2];
  if (type !== IDX_UBYTE) {
    const typeName = TYPE_NAMES[type];
    throw new IdxFormatError(
      typeName
        ? `${name} holds ${typeName} values (idx type 0x${hex(type)}); the lab reads unsigned bytes (0x08) only`
        : `${name} has an unknown idx value type 0x${hex(type)}`,
    );
  }
  const dimCount = bytes[3];
  if (dimCount < 1 || dimCount > caps.maxDims) {
    throw new IdxFormatError(
      `${name} declares ${dimCount} dimensions; the lab reads 1 to ${caps.maxDims}`,
    );
  }
  const headerBytes = 4 + 4 * dimCount;
  if (bytes.length < headerBytes) {
    throw new IdxFormatError(
      `${name} is truncated: its header of ${dimCount} dimensions needs ${headerBytes} bytes, the file has ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let values = 1;
  for (let d = 0; d < dimCount; d++) {
    const size = view.getUint32(4 + 4 * d, false);
    dims.push(size);
    // Checked as it grows, so the product never leaves the range of exact doubles.
    values *= size;
    if (values > caps.maxBytes) {
      throw new IdxFormatError(
        `${name} declares dimensions ${dims.join(' x ')}${d + 1 < dimCount ? ' x ...' : ''}, over the cap of ${caps.maxBytes} values`,
      );
    }
  }
  const present = bytes.length - headerBytes;
  if (present !== values) {
    throw new IdxFormatError(
      `${name} declares ${dims.join(' x ')} = ${values} values but holds ${present} bytes after its header (${present < values ? 'truncated' : 'trailing bytes'})`,
    );
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

/** Writes an idx file of unsigned bytes: the inverse of decodeIdx. */
export function encodeIdx(array: IdxArray): Uint8Array {
  const { dims, data } = array;
  if (dims.length < 1 || dims.length > 255) {
    throw new IdxFormatError(`an idx file holds 1 to 255 dimensions, not ${dims.length}`);
  }
  let values = 1;
  for (const size of dims) {
    if (!Number.isInteger(size) || size < 0 || size > 0xffffffff) {
      throw new IdxFormatError(`idx dimension ${size} is not a uint32`);
    }
    values *= size;
  }
  if (values !== data.length) {
    throw new IdxFormatError(
      `idx dimensions ${dims.join(' x ')} = ${values} values, but ${data.length} bytes were given`,
    );
  }
  const headerBytes = 4 + 4 * dims.length;
  const out = new Uint8Array(headerBytes + data.length);
  out[2] = IDX_UBYTE;
  out[3] = dims.length;
  const view = new DataView(out.buffer);
  dims.forEach((size, d) => view.setUint32(4 + 4 * d, size, false));
  out.set(data, headerBytes);
  return out;
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
