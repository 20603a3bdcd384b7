/**
 * Where the engine's shipped files (digits, models) come from. The page and the worker fetch
 * them over HTTP, Node reads them from public/; the engine itself only sees this function.
 */
import { oneLine } from './util/one-line.ts';
export type AssetReader = (relativePath: string) => Promise<ArrayBuffer>;

export class AssetError extends Error {
  constructor(message: string) {
    super(oneLine(message));
    this.name = 'AssetError';
  }
}

/** An AssetReader over HTTP, relative to `baseUrl` (e.g. Vite's BASE_URL). */
export function httpAssetReader(baseUrl: string): AssetReader {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return async (relativePath) => {
    const url = `${base}${relativePath}`;
    let response: Response;
    try {
      response = await fetch(url);
    } catch (err) {
      throw new AssetError(`could not fetch ${url}: ${(err as Error).message}`);
    }
    if (!response.ok) throw new AssetError(`could not fetch ${url}: HTTP ${response.status}`);
    return response.arrayBuffer();
  };
}
