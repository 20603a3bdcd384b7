/**
 * The NumPy .npy format (numpy.lib.format, versions 1.0, 2.0 and 3.0): the magic "\x93NUMPY",
 * a version, a little-endian header length (2 bytes in version 1, 4 in 2 and 3), then a Python
 * dict literal {'descr': ..., 'fortran_order': ..., 'shape': (...)}, padded so the data starts on
 * a 16- or 64-byte boundary. Only what image data needs is read: C order, little-endian or
 * byte-sized integer dtypes.
 */
import { UserDataError } from './errors.ts';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93 N U M P Y
/** numpy.load's own default cap on the header (max_header_size = 10000). */
export const MAX_NPY_HEADER_BYTES = 10_000;
/** Bytes a reader needs from the start of a file to parse any acceptable header. */
export const NPY_PREFIX_BYTES = 12 + MAX_NPY_HEADER_BYTES;

export type NpyDtype = 'u1' | 'i1' | 'u2' | 'i2' | 'u4' | 'i4' | 'u8' | 'i8';

export interface NpyHeader {
  readonly version: 1 | 2 | 3;
  /** The dtype as NumPy wrote it, e.g. '<i8', '|u1', '<f8'. */
  readonly descr: string;
  readonly fortranOrder: boolean;
  readonly shape: readonly number[];
  /** Where the data starts, in bytes from the start of the file. */
  readonly dataOffset: number;
}

export interface NpyArray {
  readonly header: NpyHeader;
  readonly dtype: NpyDtype;
  /** The data bytes (a view of the file's bytes, C order). */
  readonly data: Uint8Array;
}

const ITEM_SIZE: Record<NpyDtype, number> = {
  u1: 1,
  i1: 1,
  u2: 2,
  i2: 2,
  u4: 4,
  i4: 4,
  u8: 8,
  i8: 8,
};

/** Parses the header at the start of `prefix` (the whole file or its first NPY_PREFIX_BYTES). */
export function parseNpyHeader(prefix: Uint8Array, fileName: string): NpyHeader {
  const fail = (why: string): never => {
    throw new UserDataError(`${fileName} is not a NumPy .npy file: ${why}`);
  };
  if (prefix.length < 10 || MAGIC.some((byte, i) => prefix[i] !== byte)) {
    fail('it does not start with the .npy magic "\\x93NUMPY"');
  }
  const major = prefix[6];
  if (major !== 1 && major !== 2 && major !== 3) fail(`format version ${major} is not 1, 2 or 3`);
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (prefix.length < 8 + lengthBytes) fail('the file ends inside the header');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = 8 + lengthBytes;
  if (headerLength > MAX_NPY_HEADER_BYTES) {
    fail(`its header claims ${headerLength} bytes, more than the ${MAX_NPY_HEADER_BYTES} allowed`);
  }
  if (prefix.length < headerStart + headerLength) fail('the file ends inside the header');
  const headerBytes = prefix.subarray(headerStart, headerStart + headerLength);
  // Versions 1 and 2 write the header in latin1, version 3 in UTF-8.
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(headerBytes);
  let dict: Map<string, PyValue>;
  try {
    dict = parsePythonDict(text);
  } catch (error) {
    return fail(`its header is not a dict literal (${(error as Error).message})`);
  }
  const descr = dict.get('descr');
  const fortranOrder = dict.get('fortran_order');
  const shape = dict.get('shape');
  if (typeof descr !== 'string') fail("its header has no string 'descr'");
  if (typeof fortranOrder !== 'boolean') fail("its header has no boolean 'fortran_order'");
  if (!Array.isArray(shape)) fail("its header has no tuple 'shape'");
  return {
    version: major as 1 | 2 | 3,
    descr: descr as string,
    fortranOrder: fortranOrder as boolean,
    shape: shape as number[],
    dataOffset: headerStart + headerLength,
  };
}

/** The product of a shape's dimensions, refusing one past Number.MAX_SAFE_INTEGER. */
export function shapeProduct(shape: readonly number[]): number {
  let product = 1;
  for (const dim of shape) {
    product *= dim;
    if (!Number.isSafeInteger(product)) return Number.POSITIVE_INFINITY;
  }
  return product;
}

/**
 * Checks a header against the dtypes a reader accepts, C order and the bytes the file holds,
 * before any array is allocated: `fileBytes` is the file's full size.
 */
export function checkNpyLayout(
  header: NpyHeader,
  fileBytes: number,
  fileName: string,
  accepted: readonly NpyDtype[],
  what: string,
): NpyDtype {
  if (header.fortranOrder) {
    throw new UserDataError(
      `${fileName} is stored in Fortran order (fortran_order: True); save it in C order ` +
        '(numpy.ascontiguousarray) and try again',
    );
  }
  const dtype = dtypeOf(header.descr);
  if (dtype === undefined || !accepted.includes(dtype)) {
    throw new UserDataError(
      `${fileName} holds dtype '${header.descr}'; ${what} must be ${accepted
        .map(describeDtype)
        .join(' or ')} (little-endian)`,
    );
  }
  const needed = shapeProduct(header.shape) * ITEM_SIZE[dtype];
  const present = fileBytes - header.dataOffset;
  if (needed !== present) {
    throw new UserDataError(
      `${fileName} has ${present} data bytes, but its shape (${header.shape.join(', ')}) of ` +
        `'${header.descr}' needs ${needed}`,
    );
  }
  return dtype;
}

/** Parses a whole .npy file held in memory. */
export function parseNpy(
  bytes: Uint8Array,
  fileName: string,
  accepted: readonly NpyDtype[],
  what: string,
): NpyArray {
  const header = parseNpyHeader(bytes, fileName);
  const dtype = checkNpyLayout(header, bytes.length, fileName, accepted, what);
  return { header, dtype, data: bytes.subarray(header.dataOffset) };
}

/** Reads an integer array's values as numbers (64-bit values beyond 2^53 are refused). */
export function npyIntegers(array: NpyArray, fileName: string): Float64Array {
  const { data, dtype } = array;
  const count = data.length / ITEM_SIZE[dtype];
  const out = new Float64Array(count);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0; i < count; i++) {
    switch (dtype) {
      case 'u1':
        out[i] = view.getUint8(i);
        break;
      case 'i1':
        out[i] = view.getInt8(i);
        break;
      case 'u2':
        out[i] = view.getUint16(2 * i, true);
        break;
      case 'i2':
        out[i] = view.getInt16(2 * i, true);
        break;
      case 'u4':
        out[i] = view.getUint32(4 * i, true);
        break;
      case 'i4':
        out[i] = view.getInt32(4 * i, true);
        break;
      case 'u8':
      case 'i8': {
        const big = dtype === 'u8' ? view.getBigUint64(8 * i, true) : view.getBigInt64(8 * i, true);
        const value = Number(big);
        if (!Number.isSafeInteger(value)) {
          throw new UserDataError(`${fileName}: value ${big} at index ${i} is not a class label`);
        }
        out[i] = value;
        break;
      }
    }
  }
  return out;
}

/** The accepted dtype a descr names: '<' or '|' byte order ('=' counts as little-endian). */
function dtypeOf(descr: string): NpyDtype | undefined {
  const match = /^([<|=])([ui][1248])$/.exec(descr);
  if (match === null) return undefined;
  const dtype = match[2] as NpyDtype;
  // A byte-sized dtype has no order ('|'); wider ones must say little-endian.
  if (ITEM_SIZE[dtype] > 1 && match[1] === '|') return undefined;
  return dtype;
}

const describeDtype = (dtype: NpyDtype): string =>
  `${dtype[0] === 'u' ? 'uint' : 'int'}${ITEM_SIZE[dtype] * 8}`;

type PyValue = string | boolean | number | PyValue[] | null;

/**
 * A tiny parser for the Python literals a .npy header holds: a dict with string keys, and
 * strings, True/False/None, integers and tuples as values. Anything else is refused.
 */
function parsePythonDict(text: string): Map<string, PyValue> {
  let at = 0;
  const skipSpace = (): void => {
    while (at < text.length && /\s/.test(text[at])) at++;
  };
  const expect = (char: string): void => {
    skipSpace();
    if (text[at] !== char) throw new Error(`expected '${char}' at character ${at}`);
    at++;
  };
  const parseString = (): string => {
    const quote = text[at];
    const end = text.indexOf(quote, at + 1);
    if (end < 0) throw new Error('unterminated string');
    const value = text.slice(at + 1, end);
    at = end + 1;
    return value;
  };
  const parseValue = (): PyValue => {
    skipSpace();
    const char = text[at];
    if (char === "'" || char === '"') return parseString();
    if (char === '(') {
      at++;
      const items: PyValue[] = [];
      for (;;) {
        skipSpace();
        if (text[at] === ')') {
          at++;
          return items;
        }
        items.push(parseValue());
        skipSpace();
        if (text[at] === ',') at++;
        else if (text[at] !== ')') throw new Error(`expected ',' or ')' at character ${at}`);
      }
    }
    const word = /^(True|False|None|-?\d+L?)/.exec(text.slice(at));
    if (word === null) throw new Error(`unexpected text at character ${at}`);
    at += word[0].length;
    if (word[0] === 'True') return true;
    if (word[0] === 'False') return false;
    if (word[0] === 'None') return null;
    return Number(word[0].replace('L', ''));
  };
  const dict = new Map<string, PyValue>();
  expect('{');
  for (;;) {
    skipSpace();
    if (text[at] === '}') {
      at++;
      break;
    }
    const key = parseValue();
    if (typeof key !== 'string') throw new Error('a key is not a string');
    expect(':');
    dict.set(key, parseValue());
    skipSpace();
    if (text[at] === ',') at++;
    else if (text[at] !== '}') throw new Error(`expected ',' or '}' at character ${at}`);
  }
  if (text.slice(at).trim() !== '') throw new Error('text after the dict');
  const shape = dict.get('shape');
  if (
    Array.isArray(shape) &&
    !shape.every((dim) => typeof dim === 'number' && Number.isSafeInteger(dim) && dim >= 0)
  ) {
    throw new Error('shape holds something other than non-negative integers');
  }
  return dict;
}
