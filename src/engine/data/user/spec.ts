/**
 * What an experiment records about user data: where the splits came from and how pixels are
 * turned into the model's input. Nothing here is guessed from the images.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { DigitSplit } from '../digits.ts';
import { UserDataError } from './errors.ts';
import type { Interpolation } from './resize.ts';
import type { SplitFractions } from './stratify.ts';

export interface ResizeSpec {
  /** [height, width] every image is resized to. */
  readonly size: readonly [number, number];
  readonly interpolation: Interpolation;
}

export interface UserDataSetSpec {
  readonly format: 'complab-user-data';
  readonly version: 1;
  /** 'image-folder' (class sub-folders of PNG/JPEG) or 'numpy' (images.npy + labels.npy). */
  readonly source: 'image-folder' | 'numpy';
  /**
   * 'folders': train/ and test/ came with the data, validation was cut out of train;
   * 'stratified': one pool cut into all three.
   */
  readonly splitting: 'folders' | 'stratified';
  readonly seed: number;
  /** The fractions cut out (test is 0 when the folders gave the test split). */
  readonly fractions: SplitFractions;
  /** Input = (pixel / 255 - mean[c]) / std[c]; absent mean/std: 0 and 1 (scale to [0, 1]). */
  readonly scale: '1/255';
  readonly mean?: readonly number[];
  readonly std?: readonly number[];
  readonly resize?: ResizeSpec;
  /** Present when grey images stood beside colour ones and were replicated to 3 channels. */
  readonly greyToRgb?: true;
}

/** Checks mean/std against the channel count: one value per channel, std above 0. */
export function checkNormalization(
  mean: readonly number[] | undefined,
  std: readonly number[] | undefined,
  channels: number,
): void {
  for (const [name, values] of [
    ['mean', mean],
    ['std', std],
  ] as const) {
    if (values === undefined) continue;
    if (values.length !== channels || !values.every(Number.isFinite)) {
      throw new UserDataError(
        `${name} needs ${channels} finite value${channels === 1 ? '' : 's'} (one per channel), ` +
          `got [${values.join(', ')}]`,
      );
    }
  }
  if (std !== undefined && std.some((value) => value <= 0)) {
    throw new UserDataError(`std values must be above 0, got [${std.join(', ')}]`);
  }
}

/**
 * The model input for a pixel of channel c is pixel x scale[c] + offset[c]: the spec's
 * normalization as one multiply-add per channel.
 */
export function pixelTransform(
  spec: Pick<UserDataSetSpec, 'mean' | 'std'>,
  channels: number,
): { scale: Float32Array; offset: Float32Array } {
  const scale = new Float32Array(channels);
  const offset = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const mean = spec.mean?.[c] ?? 0;
    const std = spec.std?.[c] ?? 1;
    scale[c] = 1 / (255 * std);
    offset[c] = -mean / std;
  }
  return { scale, offset };
}

const encoder = new TextEncoder();

/**
 * SHA-256 over everything that makes the data set what it is: a canonical JSON of the class
 * names, image shape, spec and split sizes, then each split's images and labels in order
 * (train, validation, test). Two data sets with the same hash give the same experiments.
 */
export function userDataHash(
  classNames: readonly string[],
  shape: readonly [number, number, number],
  spec: UserDataSetSpec,
  splits: {
    readonly train: DigitSplit;
    readonly validation: DigitSplit;
    readonly test: DigitSplit;
  },
): string {
  const hash = sha256.create();
  const order = ['train', 'validation', 'test'] as const;
  const head = canonicalJson({
    classNames,
    shape,
    spec,
    counts: order.map((name) => splits[name].count),
  });
  const headBytes = encoder.encode(head);
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, headBytes.length, true);
  hash.update(length);
  hash.update(headBytes);
  for (const name of order) {
    hash.update(splits[name].images);
    hash.update(splits[name].labels);
  }
  return bytesToHex(hash.digest());
}

/** JSON with object keys sorted, so the same spec always gives the same bytes. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
