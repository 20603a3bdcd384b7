/**
 * Decoding one PNG or JPEG file in Node (pngjs, jpeg-js) to channels-last uint8 pixels. The
 * image's size is read from its header first (PNG IHDR, JPEG SOF) and checked against the caps
 * before the decoder allocates anything.
 *
 * Channels: greyscale (with or without alpha) gives 1 channel; RGB, RGBA and palette images give
 * 3. Alpha is dropped (the colour values are kept as stored, not composited on a background).
 * 16-bit PNGs are scaled to 8 bits by pngjs: round(v x 255 / 65535).
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { UserDataError } from '../data/user/errors.ts';

export interface DecodedImage {
  readonly height: number;
  readonly width: number;
  readonly channels: 1 | 3;
  /** height x width x channels values. */
  readonly pixels: Uint8Array;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export type ImageKind = 'png' | 'jpeg';

/** The image kind a file name's extension says, or undefined for a file that is not an image. */
export function imageKindOf(fileName: string): ImageKind | undefined {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.png')) return 'png';
  if (lower.endsWith('.jpg') || lower.endsWith('.jpeg')) return 'jpeg';
  return undefined;
}

/** Width, height and colour layout from a PNG's IHDR chunk, without decoding. */
function pngHeader(
  bytes: Uint8Array,
  fileName: string,
): { width: number; height: number; grey: boolean } {
  if (bytes.length < 33 || PNG_SIGNATURE.some((byte, i) => bytes[i] !== byte)) {
    throw new UserDataError(`${fileName} is not a PNG image (no PNG signature)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = String.fromCharCode(...bytes.subarray(12, 16));
  if (type !== 'IHDR')
    throw new UserDataError(`${fileName} is a corrupt PNG image (no IHDR first)`);
  const colourType = bytes[25];
  return {
    width: view.getUint32(16),
    height: view.getUint32(20),
    grey: colourType === 0 || colourType === 4,
  };
}

/** Width, height and component count from a JPEG's start-of-frame marker, without decoding. */
function jpegHeader(
  bytes: Uint8Array,
  fileName: string,
): { width: number; height: number; grey: boolean } {
  const corrupt = (why: string): never => {
    throw new UserDataError(`${fileName} is a corrupt JPEG image (${why})`);
  };
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) corrupt('no JPEG start-of-image marker');
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) corrupt(`no marker at byte ${at}`);
    const marker = bytes[at + 1];
    if (marker === 0xff) {
      at++;
      continue;
    }
    const length = (bytes[at + 2] << 8) | bytes[at + 3];
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (at + 10 > bytes.length) break;
      const height = (bytes[at + 5] << 8) | bytes[at + 6];
      const width = (bytes[at + 7] << 8) | bytes[at + 8];
      return { width, height, grey: bytes[at + 9] === 1 };
    }
    at += 2 + length;
  }
  return corrupt('no frame header');
}

/**
 * Decodes a PNG or JPEG file. `maxSide` is the largest height or width accepted (the data set cap
 * without a resize, the source cap with one).
 */
export function decodeImage(
  bytes: Uint8Array,
  fileName: string,
  kind: ImageKind,
  maxSide: number,
  resizing: boolean,
): DecodedImage {
  const header = kind === 'png' ? pngHeader(bytes, fileName) : jpegHeader(bytes, fileName);
  const { width, height } = header;
  if (width < 1 || height < 1 || width > maxSide || height > maxSide) {
    throw new UserDataError(
      `${fileName} is ${height} x ${width} pixels; height and width must be 1 to ${maxSide}` +
        (resizing ? ' to be resized' : ' (choose a resize for larger images)'),
    );
  }
  let rgba: Uint8Array;
  let components: number;
  try {
    if (kind === 'png') {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      rgba = png.data;
      components = 4;
    } else {
      const image = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: false,
        tolerantDecoding: false,
        maxResolutionInMP: (maxSide * maxSide) / 1e6 + 1,
        maxMemoryUsageInMB: 256,
      });
      rgba = image.data;
      components = 3;
    }
  } catch (error) {
    throw new UserDataError(
      `${fileName} is a corrupt ${kind === 'png' ? 'PNG' : 'JPEG'} image ` +
        `(${(error as Error).message})`,
    );
  }
  if (rgba.length !== width * height * components) {
    throw new UserDataError(
      `${fileName} is a corrupt image (decoded size does not match its header)`,
    );
  }
  const channels = header.grey ? 1 : 3;
  const pixels = new Uint8Array(width * height * channels);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < channels; c++) pixels[p * channels + c] = rgba[p * components + c];
  }
  return { height, width, channels, pixels };
}

/** A 1-channel image as 3 (grey replicated), for a folder that mixes grey and colour images. */
export function toThreeChannels(image: DecodedImage): DecodedImage {
  if (image.channels === 3) return image;
  const pixels = new Uint8Array(image.pixels.length * 3);
  image.pixels.forEach((value, p) => pixels.fill(value, 3 * p, 3 * p + 3));
  return { ...image, channels: 3, pixels };
}
