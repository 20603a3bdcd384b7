/**
 * Reading a user's own labelled images from disk: an image folder (one sub-folder of PNG/JPEG
 * images per class, the torchvision ImageFolder convention) or a NumPy pair (images.npy,
 * labels.npy), optionally with classes.txt, optionally split already into train/ and test/.
 * Node-only file access and decoding; the checks, splitting and hashing are the platform-free
 * pieces in engine/data/user/.
 */
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  statSync,
} from 'node:fs';
import { basename, join, resolve } from 'node:path';
import {
  assembleUserDataSet,
  checkUserDataOptions,
  resizeLabelledImages,
  type UserDataOptions,
  type UserDataPools,
  type UserDataSet,
} from '../data/user/assemble.ts';
import { checkClassCount, compareCodePoints, parseClassesText } from '../data/user/classes.ts';
import { USER_DATA_CAPS, UserDataError } from '../data/user/errors.ts';
import {
  checkImageBytes,
  checkImageCount,
  checkImagesHeader,
  checkLabelsHeader,
  labelledImagesFromNpy,
  type LabelledImages,
} from '../data/user/labelled.ts';
import { NPY_PREFIX_BYTES, parseNpyHeader } from '../data/user/npy.ts';
import { resizeImage } from '../data/user/resize.ts';
import {
  decodeImage,
  imageKindOf,
  toThreeChannels,
  type DecodedImage,
} from './image-folder-decode.ts';

export type { UserDataOptions, UserDataSet } from '../data/user/assemble.ts';
export { UserDataError } from '../data/user/errors.ts';

const CLASSES_FILE = 'classes.txt';
const IMAGES_FILE = 'images.npy';
const LABELS_FILE = 'labels.npy';

/**
 * Reads the data set at `path` (a folder): train/ + test/ when both are there (validation cut
 * out of train), else one pool cut into train / validation / test by seeded stratified sampling.
 * Every refusal is a UserDataError naming the file, image or class.
 */
export async function readUserDataSet(
  path: string,
  options: UserDataOptions = {},
): Promise<UserDataSet> {
  checkUserDataOptions(options);
  const root = resolve(path);
  if (!isDirectory(root)) throw new UserDataError(`${path} is not a folder`);
  const name = basename(root);
  const topClasses = readClassesFile(join(root, CLASSES_FILE));
  const train = join(root, 'train');
  const test = join(root, 'test');
  if (isDirectory(train) && isDirectory(test)) {
    const classes = topClasses ?? readClassesFile(join(train, CLASSES_FILE));
    const [trainKind, testKind] = [kindOf(train), kindOf(test)];
    if (trainKind !== testKind) {
      throw new UserDataError(
        `${path}: train/ is ${describeKind(trainKind)} but test/ is ` +
          `${describeKind(testKind)}; both must be the same kind`,
      );
    }
    const trainSource = readSource(train, classes, options);
    const testSource = readSource(test, classes ?? trainSource.classNames, options);
    // A grey test folder beside a colour train folder (or the other way round) gets 3 channels.
    let [trainPool, testPool] = [trainSource.pool, testSource.pool];
    if (trainPool.shape[2] !== testPool.shape[2]) {
      [trainPool, testPool] = [withThreeChannels(trainPool), withThreeChannels(testPool)];
    }
    const greyToRgb =
      trainSource.greyToRgb ||
      testSource.greyToRgb ||
      trainPool !== trainSource.pool ||
      testPool !== testSource.pool;
    const classNames = classes ?? trainSource.classNames;
    const pools: UserDataPools = { kind: 'folders', train: trainPool, test: testPool };
    return assembleUserDataSet(
      { name, source: trainSource.kind, classNames, pools, greyToRgb },
      options,
    );
  }
  const source = readSource(root, topClasses, options);
  return assembleUserDataSet(
    {
      name,
      source: source.kind,
      greyToRgb: source.greyToRgb,
      classNames: source.classNames,
      pools: { kind: 'pool', all: source.pool },
    },
    options,
  );
}

interface Source {
  readonly kind: 'image-folder' | 'numpy';
  readonly pool: LabelledImages;
  /** Grey images in the folder were replicated to 3 channels to match colour ones. */
  readonly greyToRgb?: boolean;
  readonly classNames: readonly string[];
}

const describeKind = (kind: Source['kind']): string =>
  kind === 'numpy' ? 'a NumPy pair' : 'an image folder';

/** A NumPy pair if the folder holds images.npy, else an image folder. */
function readSource(
  folder: string,
  classNames: readonly string[] | undefined,
  options: UserDataOptions,
): Source {
  return kindOf(folder) === 'numpy'
    ? readNumpyPair(folder, classNames, options)
    : readImageFolder(folder, classNames, options);
}

const kindOf = (folder: string): Source['kind'] =>
  existsSync(join(folder, IMAGES_FILE)) ? 'numpy' : 'image-folder';

function readClassesFile(path: string): string[] | undefined {
  if (!existsSync(path)) return undefined;
  return parseClassesText(readFileSync(path, 'utf8'), path);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function regularFileSize(path: string): number {
  const stats = statSync(path);
  if (!stats.isFile()) throw new UserDataError(`${path} is not a regular file`);
  return stats.size;
}

/** The first bytes of a file, enough for any .npy header the reader accepts. */
function readPrefix(path: string, size: number): Uint8Array {
  const prefix = new Uint8Array(Math.min(size, NPY_PREFIX_BYTES));
  const handle = openSync(path, 'r');
  try {
    readSync(handle, prefix, 0, prefix.length, 0);
  } finally {
    closeSync(handle);
  }
  return prefix;
}

function readNumpyPair(
  folder: string,
  classNames: readonly string[] | undefined,
  options: UserDataOptions,
): Source {
  const imagesPath = join(folder, IMAGES_FILE);
  const labelsPath = join(folder, LABELS_FILE);
  if (!existsSync(labelsPath)) {
    throw new UserDataError(`${imagesPath} has no ${LABELS_FILE} beside it`);
  }
  const names = {
    images: imagesPath,
    labels: labelsPath,
    classes: join(folder, CLASSES_FILE),
  };
  const folderClasses = classNames ?? readClassesFile(names.classes);
  // Headers and sizes first: nothing of the arrays is read before the caps pass.
  const imagesSize = regularFileSize(imagesPath);
  const imagesHeader = parseNpyHeader(readPrefix(imagesPath, imagesSize), imagesPath);
  const { count, shape } = checkImagesHeader(imagesHeader, imagesSize, imagesPath);
  checkImageBytes(count * shape[0] * shape[1] * shape[2], imagesPath);
  const labelsSize = regularFileSize(labelsPath);
  checkLabelsHeader(parseNpyHeader(readPrefix(labelsPath, labelsSize), labelsPath), count, names);

  const read = labelledImagesFromNpy(
    new Uint8Array(readFileSync(imagesPath)),
    new Uint8Array(readFileSync(labelsPath)),
    names,
    folderClasses?.length,
  );
  const classList =
    folderClasses ?? Array.from({ length: read.classCount }, (_, label) => String(label));
  checkClassCount(classList.length, labelsPath);
  const pool =
    options.resize === undefined ? read.images : resizeLabelledImages(read.images, options.resize);
  return { kind: 'numpy', pool, classNames: classList };
}

/** Image files under a class folder, recursively, in code-point order of their relative paths. */
function imageFilesUnder(folder: string): string[] {
  const found: string[] = [];
  const walk = (relative: string): void => {
    for (const entry of readdirSync(join(folder, relative), { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (imageKindOf(entry.name) !== undefined) found.push(path);
      if (found.length > USER_DATA_CAPS.maxImages) {
        checkImageCount(found.length, folder);
      }
    }
  };
  walk('');
  return found.sort(compareCodePoints);
}

/**
 * An image folder: class sub-folders sorted by code point (Python's sorted(), as torchvision's
 * ImageFolder), or named by classes.txt (line i is label i). Files other than .png/.jpg/.jpeg
 * and hidden entries are skipped, as ImageFolder skips files without an image extension.
 */
function readImageFolder(
  folder: string,
  classNames: readonly string[] | undefined,
  options: UserDataOptions,
): Source {
  const folderClasses = classNames ?? readClassesFile(join(folder, CLASSES_FILE));
  const classFolders = readdirSync(folder, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort(compareCodePoints);
  const names = folderClasses ?? classFolders;
  if (folderClasses === undefined) {
    checkClassCount(classFolders.length, `${folder} (class sub-folders)`);
  }
  const labelOf = new Map(names.map((className, label) => [className, label]));
  const files: { path: string; label: number }[] = [];
  for (const classFolder of classFolders) {
    const label = labelOf.get(classFolder);
    if (label === undefined) {
      throw new UserDataError(
        `${join(folder, classFolder)} is not one of the classes ` +
          `(${names.slice(0, 5).join(', ')}${names.length > 5 ? ', ...' : ''})`,
      );
    }
    for (const file of imageFilesUnder(join(folder, classFolder))) {
      files.push({ path: join(folder, classFolder, file), label });
    }
    checkImageCount(Math.max(1, files.length), folder);
  }
  if (files.length === 0) throw new UserDataError(`${folder} holds no PNG or JPEG images`);

  const resize = options.resize;
  const maxSide = resize === undefined ? USER_DATA_CAPS.maxSide : USER_DATA_CAPS.maxSourceSide;
  const decoded: DecodedImage[] = [];
  let first: { path: string; image: DecodedImage } | undefined;
  let bytes = 0;
  for (const file of files) {
    const kind = imageKindOf(file.path)!;
    let image = decodeImage(
      readFileSync(file.path),
      file.path,
      kind,
      maxSide,
      resize !== undefined,
    );
    if (first === undefined) {
      first = { path: file.path, image };
    } else if (
      resize === undefined &&
      (image.height !== first.image.height || image.width !== first.image.width)
    ) {
      throw new UserDataError(
        `images of different sizes: ${first.path} is ${first.image.height} x ${first.image.width} ` +
          `but ${file.path} is ${image.height} x ${image.width}; choose a resize ` +
          '(size and interpolation) to bring them to one size',
      );
    }
    if (
      resize !== undefined &&
      (image.height !== resize.size[0] || image.width !== resize.size[1])
    ) {
      image = {
        height: resize.size[0],
        width: resize.size[1],
        channels: image.channels,
        pixels: resizeImage(
          image.pixels,
          [image.height, image.width, image.channels],
          resize.size,
          resize.interpolation,
        ),
      };
    }
    bytes += image.height * image.width * 3;
    checkImageBytes(bytes, folder);
    decoded.push(image);
  }
  // Grey images beside colour ones are replicated to 3 channels (recorded as spec.greyToRgb).
  const channels = decoded.some((image) => image.channels === 3) ? 3 : 1;
  const { height, width } = decoded[0];
  const size = height * width * channels;
  const images = new Uint8Array(decoded.length * size);
  decoded.forEach((image, i) => {
    images.set((channels === 3 ? toThreeChannels(image) : image).pixels, i * size);
  });
  const pool: LabelledImages = {
    count: decoded.length,
    images,
    labels: Uint8Array.from(files.map((file) => file.label)),
    shape: [height, width, channels],
  };
  const greyToRgb = channels === 3 && decoded.some((image) => image.channels === 1);
  return { kind: 'image-folder', pool, classNames: names, greyToRgb };
}

function withThreeChannels(pool: LabelledImages): LabelledImages {
  const [height, width, channels] = pool.shape;
  if (channels === 3) return pool;
  const images = new Uint8Array(pool.images.length * 3);
  pool.images.forEach((value, p) => images.fill(value, 3 * p, 3 * p + 3));
  return { ...pool, images, shape: [height, width, 3] };
}
