/**
 * Turns decoded user images into a data set of three splits with its spec and hash. Platform
 * free: the Node reader (engine/node/image-folder.ts) and, later, the page's own decoders feed it.
 */
import type { DigitSplit } from '../digits.ts';
import { checkClassCount } from './classes.ts';
import { UserDataError } from './errors.ts';
import { checkSides, type LabelledImages } from './labelled.ts';
import { resizeImage } from './resize.ts';
import { checkNormalization, userDataHash, type ResizeSpec, type UserDataSetSpec } from './spec.ts';
import {
  checkFractions,
  DEFAULT_FRACTIONS,
  stratifiedSplit,
  type SplitFractions,
} from './stratify.ts';

export interface UserDataSet {
  /** A name for people (the folder's name); the hash is what identifies the data. */
  readonly name: string;
  /** SHA-256 (hex) of the decoded images, labels, class names and spec: see userDataHash. */
  readonly hash: string;
  readonly classNames: readonly string[];
  readonly shape: readonly [number, number, number];
  readonly splits: {
    readonly train: DigitSplit;
    readonly validation: DigitSplit;
    readonly test: DigitSplit;
  };
  readonly spec: UserDataSetSpec;
}

export interface UserDataOptions {
  /** Seed of the stratified sampling (default 1). */
  readonly seed?: number;
  /**
   * Fractions cut out for validation and test (default 0.1 each, i.e. 80/10/10); with train/
   * and test/ folders only `validation` is used.
   */
  readonly fractions?: Partial<SplitFractions>;
  /** Per-channel mean and std applied after scaling to [0, 1]. */
  readonly mean?: readonly number[];
  readonly std?: readonly number[];
  /** Resize every image to this size; without it, images of different sizes are refused. */
  readonly resize?: ResizeSpec;
}

export type UserDataPools =
  | { readonly kind: 'pool'; readonly all: LabelledImages }
  | { readonly kind: 'folders'; readonly train: LabelledImages; readonly test: LabelledImages };

/** Resizes every image of a pool (the NumPy path; the folder reader resizes as it decodes). */
export function resizeLabelledImages(pool: LabelledImages, resize: ResizeSpec): LabelledImages {
  const [height, width, channels] = pool.shape;
  const [toHeight, toWidth] = resize.size;
  if (height === toHeight && width === toWidth) return pool;
  const size = height * width * channels;
  const outSize = toHeight * toWidth * channels;
  const images = new Uint8Array(pool.count * outSize);
  for (let i = 0; i < pool.count; i++) {
    const image = pool.images.subarray(i * size, (i + 1) * size);
    images.set(resizeImage(image, pool.shape, resize.size, resize.interpolation), i * outSize);
  }
  return { count: pool.count, images, labels: pool.labels, shape: [toHeight, toWidth, channels] };
}

export function checkResize(resize: ResizeSpec | undefined): void {
  if (resize === undefined) return;
  const [height, width] = resize.size;
  if (!Number.isInteger(height) || !Number.isInteger(width)) {
    throw new UserDataError(`resize size ${height} x ${width} must be whole pixels`);
  }
  checkSides(height, width, 'resize');
  if (resize.interpolation !== 'bilinear' && resize.interpolation !== 'nearest') {
    throw new UserDataError(
      `resize interpolation "${String(resize.interpolation)}" is not 'bilinear' or 'nearest'`,
    );
  }
}

/** The spec options checked up front, before anything is decoded. */
export function checkUserDataOptions(options: UserDataOptions): void {
  checkResize(options.resize);
  const seed = options.seed ?? 1;
  if (!Number.isSafeInteger(seed)) throw new UserDataError(`seed ${seed} is not an integer`);
  checkFractions({ ...DEFAULT_FRACTIONS, ...options.fractions });
}

export function assembleUserDataSet(
  input: {
    readonly name: string;
    readonly source: UserDataSetSpec['source'];
    readonly classNames: readonly string[];
    readonly pools: UserDataPools;
    /** Grey images were replicated to 3 channels to stand beside colour ones (recorded). */
    readonly greyToRgb?: boolean;
  },
  options: UserDataOptions = {},
): UserDataSet {
  checkUserDataOptions(options);
  const { name, classNames, pools } = input;
  checkClassCount(classNames.length, name);
  const seed = options.seed ?? 1;
  const wanted = { ...DEFAULT_FRACTIONS, ...options.fractions };
  const shape = pools.kind === 'pool' ? pools.all.shape : pools.train.shape;
  if (pools.kind === 'folders' && pools.test.shape.join('x') !== shape.join('x')) {
    throw new UserDataError(
      `${name}: train images are ${describeShape(shape)} but test images are ` +
        `${describeShape(pools.test.shape)}; choose a resize to bring them to one size`,
    );
  }
  checkNormalization(options.mean, options.std, shape[2]);
  const classCount = classNames.length;
  const split = (pool: LabelledImages, indices: Uint32Array): DigitSplit =>
    gather(pool, indices, classCount);

  let splits: UserDataSet['splits'];
  let fractions: SplitFractions;
  if (pools.kind === 'pool') {
    fractions = wanted;
    const parts = stratifiedSplit(pools.all.labels, classNames, fractions, seed, name);
    splits = {
      train: split(pools.all, parts.train),
      validation: split(pools.all, parts.validation),
      test: split(pools.all, parts.test),
    };
  } else {
    fractions = { validation: wanted.validation, test: 0 };
    const parts = stratifiedSplit(pools.train.labels, classNames, fractions, seed, `${name}/train`);
    splits = {
      train: split(pools.train, parts.train),
      validation: split(pools.train, parts.validation),
      test: { ...pools.test, classCount },
    };
  }
  const spec: UserDataSetSpec = {
    format: 'complab-user-data',
    version: 1,
    source: input.source,
    splitting: pools.kind === 'pool' ? 'stratified' : 'folders',
    seed,
    fractions,
    scale: '1/255',
    ...(input.greyToRgb === true ? { greyToRgb: true } : {}),
    ...(options.mean === undefined ? {} : { mean: [...options.mean] }),
    ...(options.std === undefined ? {} : { std: [...options.std] }),
    ...(options.resize === undefined
      ? {}
      : {
          resize: { size: [...options.resize.size], interpolation: options.resize.interpolation },
        }),
  } as UserDataSetSpec;
  return {
    name,
    hash: userDataHash(classNames, shape, spec, splits),
    classNames: [...classNames],
    shape,
    splits,
    spec,
  };
}

function gather(pool: LabelledImages, indices: Uint32Array, classCount: number): DigitSplit {
  const size = pool.shape[0] * pool.shape[1] * pool.shape[2];
  const images = new Uint8Array(indices.length * size);
  const labels = new Uint8Array(indices.length);
  indices.forEach((index, k) => {
    images.set(pool.images.subarray(index * size, (index + 1) * size), k * size);
    labels[k] = pool.labels[index];
  });
  return { count: indices.length, images, labels, shape: pool.shape, classCount };
}

export const describeShape = (shape: readonly number[]): string =>
  `${shape[0]} x ${shape[1]} x ${shape[2]}`;
