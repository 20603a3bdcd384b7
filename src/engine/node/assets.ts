import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { AssetError, type AssetReader } from '../assets.ts';

/** The project's public/ folder, where the shipped digits and models live. */
export const PUBLIC_DIR = resolve(import.meta.dirname, '..', '..', '..', 'public');

/** An AssetReader over a folder on disk (public/ by default). */
export function fileAssetReader(root: string = PUBLIC_DIR): AssetReader {
  return async (relativePath) => {
    const path = join(root, relativePath);
    try {
      // A device or a FIFO (/dev/zero, a link to one) never ends: only regular files are read.
      if (!(await stat(path)).isFile()) throw new AssetError(`${path} is not a regular file`);
      const bytes = await readFile(path);
      return bytes.buffer.slice(
        bytes.byteOffset,
        bytes.byteOffset + bytes.byteLength,
      ) as ArrayBuffer;
    } catch (err) {
      if (err instanceof AssetError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      throw new AssetError(
        code === 'ENOENT'
          ? `file not found: ${path}`
          : `cannot read ${path}: ${(err as Error).message}`,
      );
    }
  };
}
