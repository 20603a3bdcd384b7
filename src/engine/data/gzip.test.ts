import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gunzipExactly, isGzip } from './gzip.ts';

describe('gunzipExactly', () => {
  const data = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) % 251);
  const gz = new Uint8Array(gzipSync(data));

  it('inflates to the declared size', async () => {
    expect(isGzip(gz)).toBe(true);
    expect(isGzip(data)).toBe(false);
    expect([...(await gunzipExactly(gz, data.length, 'f.gz'))]).toEqual([...data]);
  });

  it('stops at the declared size and names the file', async () => {
    await expect(gunzipExactly(gz, 100, 'f.gz')).rejects.toThrow(
      'f.gz decompresses to more than the 100 bytes declared',
    );
    await expect(gunzipExactly(gz, 6000, 'f.gz')).rejects.toThrow(
      'f.gz decompresses to 5000 bytes, the manifest declares 6000',
    );
  });

  it('refuses damaged gzip data with the file named', async () => {
    const cut = gz.slice(0, gz.length - 20);
    await expect(gunzipExactly(cut, data.length, 'f.gz')).rejects.toThrow(
      /f\.gz is not valid gzip data/,
    );
    const flipped = gz.slice();
    flipped[gz.length - 6] ^= 0xff; // the CRC-32 of the data
    await expect(gunzipExactly(flipped, data.length, 'f.gz')).rejects.toThrow(
      /f\.gz is not valid gzip data/,
    );
  });
});
