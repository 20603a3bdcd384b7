/** Bad user data: the message names the file, image or class at fault, for the page and the CLI. */
export class UserDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserDataError';
  }
}

/** Limits checked before anything is allocated. */
export const USER_DATA_CAPS = {
  /** Largest image side (height or width) a data set may have, after any resize. */
  maxSide: 256,
  /** Largest side of a source image that a resize may shrink (16 megapixels at most). */
  maxSourceSide: 4096,
  /** At most this many images in one file or folder tree. */
  maxImages: 1_000_000,
  /** At most this many image bytes in one data set (1 GiB). */
  maxImageBytes: 1 << 30,
  minClasses: 2,
  /**
   * The issue allows 1,000 classes, but a DigitSplit's labels are a Uint8Array, which holds 256;
   * more is refused with a message saying so until the labels widen.
   */
  maxClasses: 256,
} as const;
