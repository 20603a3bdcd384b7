/**
 * Byte-level reading and writing of the compact model file: little-endian numbers, runs of
 * floats, and fields of fixed-width or Huffman-coded symbols. The reader checks every length
 * against the bytes that are there before it reads or allocates, and answers a short file
 * with a WeightsFormatError that names what was being read.
 */
import { BitReader, BitWriter } from './bits.ts';
import { readTable, type HuffmanTable, writeStream, writeTable } from './huffman.ts';
import { WeightsFormatError } from './weights-blob.ts';

export const bytesOf = (bits: number) => Math.ceil(bits / 8);

const LITTLE_ENDIAN = new Uint8Array(Float32Array.of(1).buffer)[3] === 0x3f;

export class ByteWriter {
  private chunks: Uint8Array[] = [];
  length = 0;
  bytes(b: Uint8Array): void {
    this.chunks.push(b);
    this.length += b.length;
  }
  u8(v: number): void {
    this.bytes(Uint8Array.of(v));
  }
  u16(v: number): void {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, v, true);
    this.bytes(b);
  }
  u16s(values: ArrayLike<number>): void {
    const b = new Uint8Array(2 * values.length);
    const view = new DataView(b.buffer);
    for (let i = 0; i < values.length; i++) view.setUint16(2 * i, values[i], true);
    this.bytes(b);
  }
  u32(v: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, true);
    this.bytes(b);
  }
  f32s(values: ArrayLike<number>): void {
    if (values instanceof Float32Array && LITTLE_ENDIAN) {
      this.bytes(new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice());
      return;
    }
    const b = new Uint8Array(4 * values.length);
    const view = new DataView(b.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i], true);
    this.bytes(b);
  }
  /** `values` as one run of `width`-bit fields, padded to a whole byte. */
  bitRun(values: ArrayLike<number>, width: number): void {
    const bits = new BitWriter();
    for (let i = 0; i < values.length; i++) bits.write(values[i], width);
    this.bytes(bits.finish());
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let pos = 0;
    for (const c of this.chunks) {
      out.set(c, pos);
      pos += c.length;
    }
    return out;
  }
}

/** A field of `width`-bit symbols as the file stores it: plain, or Huffman-coded with its table. */
export interface FieldPlan {
  readonly data: ArrayLike<number>;
  readonly width: number;
  readonly table?: HuffmanTable;
  /** Bytes of the table (with its u32 stream length; 0 when plain) and of the stream. */
  readonly tableBytes: number;
  readonly streamBytes: number;
  readonly streamBits: number;
}

export function writeField(out: ByteWriter, field: FieldPlan): void {
  if (!field.table) {
    out.bitRun(field.data, field.width);
    return;
  }
  const table = new BitWriter();
  writeTable(table, field.table, field.width);
  out.bytes(table.finish());
  out.u32(field.streamBits);
  const stream = new BitWriter();
  writeStream(stream, field.table, field.data);
  out.bytes(stream.finish());
}

export class ByteReader {
  private readonly view: DataView;
  pos = 0;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Throws unless `count` more bytes are there. */
  need(count: number, what: string): void {
    if (!(count >= 0) || this.pos + count > this.bytes.length)
      throw new WeightsFormatError(`compact model file is truncated (${what})`);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.view.getUint8(this.pos++);
  }
  u16(what: string): number {
    this.need(2, what);
    this.pos += 2;
    return this.view.getUint16(this.pos - 2, true);
  }
  u16s(count: number, what: string): Int32Array {
    this.need(2 * count, what);
    const out = Int32Array.from({ length: count }, (_, i) =>
      this.view.getUint16(this.pos + 2 * i, true),
    );
    this.pos += 2 * count;
    return out;
  }
  u32(what: string): number {
    this.need(4, what);
    this.pos += 4;
    return this.view.getUint32(this.pos - 4, true);
  }
  f32(at: number): number {
    return this.view.getFloat32(at, true);
  }
  f32s(count: number, what: string): Float32Array {
    this.need(4 * count, what);
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++, this.pos += 4) out[i] = this.view.getFloat32(this.pos, true);
    return out;
  }
  /** A run of `bits` bits (padded to a whole byte), checked to be there; the reader moves past it. */
  bitRun(bits: number, what: string): BitReader {
    this.need(bytesOf(bits), what);
    const reader = new BitReader(this.bytes, this.pos, bits);
    this.pos += bytesOf(bits);
    return reader;
  }
  /** A field of `count` symbols of `width` bits: plain or Huffman (table, u32 stream bits, stream). */
  field(width: number, count: number, huffman: boolean, what: string): Uint16Array {
    if (!huffman) {
      const reader = this.bitRun(width * count, what);
      const out = new Uint16Array(count);
      for (let i = 0; i < count; i++) out[i] = reader.read(width);
      return out;
    }
    const tableReader = new BitReader(this.bytes, this.pos, 8 * (this.bytes.length - this.pos));
    const decode = readTable(tableReader, width, what);
    this.pos += bytesOf(tableReader.position);
    const bits = this.u32(what);
    const stream = this.bitRun(bits, what);
    // Every code is at least one bit: more symbols than bits cannot be there.
    if (count > bits) throw new WeightsFormatError(`${what}: Huffman stream does not decode`);
    const out = new Uint16Array(count);
    for (let i = 0; i < count; i++) out[i] = decode(stream);
    if (stream.position !== bits)
      throw new WeightsFormatError(
        `${what}: Huffman stream has ${bits - stream.position} bits left over`,
      );
    return out;
  }
}
