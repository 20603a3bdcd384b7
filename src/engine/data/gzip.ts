/**
 * Gzip decompression for the data files, through the platform's DecompressionStream (browsers,
 * workers and Node 18+ alike), into a buffer of the size the manifest declares: allocated once,
 * never grown, and a stream that would overrun it is stopped there.
 */
import { AssetError } from '../assets.ts';

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Decompresses `bytes` (named `name` in messages), which must inflate to exactly `size` bytes. */
export async function gunzipExactly(
  bytes: Uint8Array,
  size: number,
  name: string,
): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  let filled = 0;
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new DecompressionStream('gzip'));
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (filled + value.length > size) {
        throw new AssetError(`${name} decompresses to more than the ${size} bytes declared`);
      }
      out.set(value, filled);
      filled += value.length;
    }
  } catch (err) {
    await reader.cancel().catch(() => undefined);
    if (err instanceof AssetError) throw err;
    throw new AssetError(`${name} is not valid gzip data: ${(err as Error).message}`);
  }
  if (filled !== size) {
    throw new AssetError(`${name} decompresses to ${filled} bytes, the manifest declares ${size}`);
  }
  return out;
}
