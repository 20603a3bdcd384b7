/**
 * Bit streams for the compact model file: fields packed least significant bit first (as the
 * CLW2 blob packs its relative indices), Huffman codes most significant bit first.
 */

export class BitWriter {
  private bytes = new Uint8Array(256);
  /** Bits written so far. */
  length = 0;

  private ensure(bits: number): void {
    const needed = Math.ceil((this.length + bits) / 8);
    if (needed <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(needed, this.bytes.length * 2));
    grown.set(this.bytes);
    this.bytes = grown;
  }

  /** Writes the low `width` bits of `value`, least significant first (width <= 32). */
  write(value: number, width: number): void {
    this.ensure(width);
    const bytes = this.bytes;
    for (let b = 0; b < width; b++, this.length++) {
      if ((value >>> b) & 1) bytes[this.length >> 3] |= 1 << (this.length & 7);
    }
  }

  /** Writes a Huffman code of `length` bits, its most significant bit first. */
  writeCode(code: number, length: number): void {
    this.ensure(length);
    if (length <= 31) {
      const bytes = this.bytes;
      for (let b = length - 1; b >= 0; b--, this.length++) {
        if ((code >>> b) & 1) bytes[this.length >> 3] |= 1 << (this.length & 7);
      }
      return;
    }
    for (let b = length - 1; b >= 0; b--, this.length++) {
      if (Math.floor(code / 2 ** b) % 2) this.bytes[this.length >> 3] |= 1 << (this.length & 7);
    }
  }

  /** The bits written, padded with zeros to a whole byte. */
  finish(): Uint8Array {
    return this.bytes.slice(0, Math.ceil(this.length / 8));
  }
}

/** Reads bits from `bytes[start..]`; `limit` is the bit count the reader may consume. */
export class BitReader {
  private pos = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly start: number,
    readonly limit: number,
  ) {}

  get position(): number {
    return this.pos;
  }

  /** One bit, or -1 past the limit. */
  bit(): number {
    if (this.pos >= this.limit) return -1;
    const at = this.start * 8 + this.pos++;
    return (this.bytes[at >> 3] >> (at & 7)) & 1;
  }

  /** `width` bits, least significant first; the caller checked the limit. */
  read(width: number): number {
    let value = 0;
    for (let b = 0; b < width; b++) {
      const at = this.start * 8 + this.pos++;
      value += ((this.bytes[at >> 3] >> (at & 7)) & 1) * 2 ** b;
    }
    return value;
  }
}
