import { USER_DATA_CAPS, UserDataError } from './errors.ts';
import {
  checkNpyLayout,
  npyIntegers,
  parseNpyHeader,
  shapeProduct,
  type NpyHeader,
} from './npy.ts';

/** Decoded images with their labels, before any split: count x H x W x C uint8, channels last. */
export interface LabelledImages {
  readonly count: number;
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly shape: readonly [number, number, number];
}

/** The image shape an images.npy header names, checked against the caps before any allocation. */
export function checkImagesHeader(
  header: NpyHeader,
  fileBytes: number,
  fileName: string,
): { count: number; shape: [number, number, number] } {
  checkNpyLayout(header, fileBytes, fileName, ['u1'], 'images');
  const dims = header.shape;
  if (dims.length !== 3 && dims.length !== 4) {
    throw new UserDataError(
      `${fileName} has shape (${dims.join(', ')}); images must be N x H x W or N x H x W x C`,
    );
  }
  const [count, height, width] = dims;
  const channels = dims.length === 4 ? dims[3] : 1;
  if (channels !== 1 && channels !== 3) {
    throw new UserDataError(
      `${fileName} has ${channels} channels (last axis); images need 1 (grey) or 3 (RGB), ` +
        'channels last',
    );
  }
  checkImageCount(count, fileName);
  checkSides(height, width, fileName);
  return { count, shape: [height, width, channels] };
}

export function checkImageCount(count: number, source: string): void {
  if (count < 1) throw new UserDataError(`${source} holds no images`);
  if (count > USER_DATA_CAPS.maxImages) {
    throw new UserDataError(
      `${source} holds ${count} images; at most ${USER_DATA_CAPS.maxImages} are supported`,
    );
  }
}

export function checkSides(height: number, width: number, source: string): void {
  const max = USER_DATA_CAPS.maxSide;
  if (height < 1 || width < 1 || height > max || width > max) {
    throw new UserDataError(
      `${source}: images of ${height} x ${width} pixels; height and width must be 1 to ${max} ` +
        '(choose a resize for larger images)',
    );
  }
}

export function checkImageBytes(bytes: number, source: string): void {
  if (bytes > USER_DATA_CAPS.maxImageBytes) {
    throw new UserDataError(
      `${source}: ${bytes} bytes of images; at most ${USER_DATA_CAPS.maxImageBytes} are supported`,
    );
  }
}

/**
 * Checks labels read from a file against the class count and turns them into bytes; `classCount`
 * undefined (no classes.txt) takes the largest label + 1.
 */
export function checkLabels(
  values: ArrayLike<number>,
  classCount: number | undefined,
  fileName: string,
  classesFile: string,
): { labels: Uint8Array; classCount: number } {
  let largest = -1;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value < 0) throw new UserDataError(`${fileName}: label ${value} at index ${i} is negative`);
    if (classCount !== undefined && value >= classCount) {
      throw new UserDataError(
        `${fileName}: label ${value} at index ${i} is outside the ${classCount} classes of ` +
          `${classesFile} (labels 0 to ${classCount - 1})`,
      );
    }
    largest = Math.max(largest, value);
  }
  const count = classCount ?? largest + 1;
  if (classCount === undefined && count > USER_DATA_CAPS.maxClasses) {
    throw new UserDataError(
      `${fileName}: label ${largest} means ${count} classes; at most ` +
        `${USER_DATA_CAPS.maxClasses} are supported (labels are stored as 8-bit values)`,
    );
  }
  return { labels: Uint8Array.from(values), classCount: count };
}

/** Labels need one dimension, integer dtype and N entries. */
export const LABEL_DTYPES = ['u1', 'i1', 'u2', 'i2', 'u4', 'i4', 'u8', 'i8'] as const;

/**
 * A NumPy pair held in memory (the page's path; Node reads files with caps first and calls the
 * same checks): images.npy uint8 N x H x W [x C], labels.npy N integers.
 */
export function labelledImagesFromNpy(
  imagesBytes: Uint8Array,
  labelsBytes: Uint8Array,
  names: { images: string; labels: string; classes: string },
  classCount: number | undefined,
): { images: LabelledImages; classCount: number } {
  const imagesHeader = parseNpyHeader(imagesBytes, names.images);
  const { count, shape } = checkImagesHeader(imagesHeader, imagesBytes.length, names.images);
  const labelsHeader = parseNpyHeader(labelsBytes, names.labels);
  checkLabelsHeader(labelsHeader, count, names);
  const dtype = checkNpyLayout(
    labelsHeader,
    labelsBytes.length,
    names.labels,
    LABEL_DTYPES,
    'labels',
  );
  const values = npyIntegers(
    { header: labelsHeader, dtype, data: labelsBytes.subarray(labelsHeader.dataOffset) },
    names.labels,
  );
  const checked = checkLabels(values, classCount, names.labels, names.classes);
  return {
    images: {
      count,
      images: imagesBytes.slice(imagesHeader.dataOffset),
      labels: checked.labels,
      shape,
    },
    classCount: checked.classCount,
  };
}

/** labels.npy must be one-dimensional with one label per image. */
export function checkLabelsHeader(
  header: NpyHeader,
  imageCount: number,
  names: { images: string; labels: string },
): void {
  if (header.shape.length !== 1) {
    throw new UserDataError(
      `${names.labels} has shape (${header.shape.join(', ')}); labels must be one-dimensional`,
    );
  }
  const count = shapeProduct(header.shape);
  if (count !== imageCount) {
    throw new UserDataError(
      `${names.images} holds ${imageCount} images but ${names.labels} holds ${count} labels; ` +
        'they must have the same length',
    );
  }
}
