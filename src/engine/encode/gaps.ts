/**
 * Where the stored values of a sparse tensor sit: relative indices, each the number of
 * positions skipped since the previous stored one (Deep Compression, Han et al. 2016, section
 * 2), in k bits. A gap wider than k bits can say needs fillers, and the file has had two ways:
 *
 * - The skip filler (every sparse layout of CLW5, and the symbol layouts 2, 3 and 6 of every
 *   version): the top value 2^k - 1 skips 2^k - 1 positions and stores nothing; any other
 *   value r skips r positions and stores the next one.
 * - The padding filler (layout 1 of CLW3 and CLW4 only, as CLW2 did): every value r skips r
 *   positions and stores the next one; a longer gap is bridged by storing a zero every 2^k
 *   positions.
 *
 * The skip filler is version 5's one convention: a padding filler costs k index bits plus a stored
 * value (32 bits for a float), a skip filler only its k bits (it skips one position fewer, so
 * a long gap takes an extra filler now and then), and it needs no value that means zero, which
 * a binary sign or a codebook without 0 does not have.
 */
import { WeightsFormatError } from './weights-blob.ts';

export const MAX_INDEX_BITS = 16;
const filler = (k: number) => 2 ** k - 1;

/** The gap before each stored position (`kept` truthy). */
export function gapsOf(kept: ArrayLike<boolean | number>): number[] {
  const gaps: number[] = [];
  let gap = 0;
  for (let i = 0; i < kept.length; i++) {
    if (kept[i]) {
      gaps.push(gap);
      gap = 0;
    } else gap++;
  }
  return gaps;
}

/** Relative indices (skip fillers) for the gaps at width k. */
export function relativeIndices(gaps: readonly number[], k: number): number[] {
  const top = filler(k);
  const out: number[] = [];
  for (let gap of gaps) {
    while (gap >= top) {
      out.push(top);
      gap -= top;
    }
    out.push(gap);
  }
  return out;
}

/** How many relative indices (skip fillers) the gaps take at width k. */
export function entryCount(gaps: readonly number[], k: number): number {
  const top = filler(k);
  let entries = 0;
  for (const g of gaps) entries += Math.floor(g / top) + 1;
  return entries;
}

/**
 * The width to use: `fixed` when given (a recipe's index-bits step), else the one of 1..16 of
 * least cost, the narrowest among equals.
 */
export function indexBitsFor(fixed: number | undefined, cost: (k: number) => number): number {
  if (fixed !== undefined) return fixed;
  let k = 1;
  let best = cost(1);
  for (let bits = 2; bits <= MAX_INDEX_BITS; bits++) {
    const c = cost(bits);
    if (c < best) [best, k] = [c, bits];
  }
  return k;
}

/** Throws unless k is a width the file allows. */
export function checkIndexBits(k: number, what: string): void {
  if (k < 1 || k > MAX_INDEX_BITS) throw new WeightsFormatError(`${what}: index width ${k}`);
}

/**
 * The stored positions that skip-filler relative indices give, as a mask of n positions;
 * throws unless they stay inside n and store exactly `kept`.
 */
export function keptPositions(
  relative: ArrayLike<number>,
  k: number,
  n: number,
  kept: number,
  what: string,
): Uint8Array {
  const top = filler(k);
  const mask = new Uint8Array(n);
  let index = 0;
  let stored = 0;
  for (let e = 0; e < relative.length; e++) {
    const r = relative[e];
    index += r;
    if (r === top) continue;
    if (index >= n) throw new WeightsFormatError(`${what}: index past its end`);
    mask[index++] = 1;
    stored++;
  }
  if (stored !== kept)
    throw new WeightsFormatError(`${what}: ${stored} positions for ${kept} kept`);
  return mask;
}

// ---- The padding filler: layout 1 of CLW3 and CLW4, read and written for those versions only.

/** How many entries (stored values, padding zeros included) the gaps take at width k. */
export function paddedEntryCount(gaps: readonly number[], k: number): number {
  let entries = 0;
  for (const g of gaps) entries += Math.floor(g / 2 ** k) + 1;
  return entries;
}

/**
 * Padding-filler entries for the gaps at width k: the relative index of each entry and the
 * stored position it belongs to (-1 for a padding zero).
 */
export function paddedEntries(
  gaps: readonly number[],
  k: number,
): { relative: number[]; owner: number[] } {
  const span = 2 ** k;
  const relative: number[] = [];
  const owner: number[] = [];
  gaps.forEach((g, s) => {
    let gap = g;
    while (gap > span - 1) {
      relative.push(span - 1);
      owner.push(-1);
      gap -= span;
    }
    relative.push(gap);
    owner.push(s);
  });
  return { relative, owner };
}

/** The position of each padding-filler entry; throws when one falls past n. */
export function paddedPositions(relative: ArrayLike<number>, n: number, what: string): Int32Array {
  const positions = new Int32Array(relative.length);
  let index = -1;
  for (let e = 0; e < relative.length; e++) {
    index += relative[e] + 1;
    if (index >= n) throw new WeightsFormatError(`${what}: index past its end`);
    positions[e] = index;
  }
  return positions;
}
