import { describe, expect, it } from 'vitest';
import type { AssetReader } from '../assets.ts';
import { publicAssets } from '../test/fixtures.ts';
import { loadDigitSplit, loadDigitsManifest, NUM_CLASSES, PIXELS } from './digits.ts';

describe('shipped digits', () => {
  it('hold a stratified 8,000 / 2,000 split of real MNIST digits that pass their checksums', async () => {
    const manifest = await loadDigitsManifest(publicAssets);
    const [train, test] = await Promise.all([
      loadDigitSplit(publicAssets, 'train', manifest),
      loadDigitSplit(publicAssets, 'test', manifest),
    ]);
    expect(train.count).toBe(8000);
    expect(test.count).toBe(2000);
    for (let digit = 0; digit < NUM_CLASSES; digit++) {
      const inTest = test.labels.filter((l) => l === digit).length;
      const inTrain = train.labels.filter((l) => l === digit).length;
      // Each class keeps the 80/20 proportion to within one digit.
      expect(Math.abs(inTest - 0.2 * (inTest + inTrain))).toBeLessThanOrEqual(1);
    }
    // Real handwriting: mostly black background, a few hundred ink pixels per digit.
    const ink = test.images.subarray(0, PIXELS).filter((p) => p > 128).length;
    expect(ink).toBeGreaterThan(40);
    expect(ink).toBeLessThan(400);
  });

  it('reject a file whose bytes do not match the manifest checksum', async () => {
    const tampered: AssetReader = async (path) => {
      const bytes = new Uint8Array(await publicAssets(path));
      if (path.endsWith('test-labels.u8')) bytes[7] = (bytes[7] + 1) % 10;
      return bytes.buffer;
    };
    await expect(loadDigitSplit(tampered, 'test')).rejects.toThrow(
      /test-labels\.u8 fails its checksum/,
    );
  });

  it('reject a truncated file by its size', async () => {
    const truncated: AssetReader = async (path) => {
      const bytes = await publicAssets(path);
      return path.endsWith('test-images.u8') ? bytes.slice(0, 1000) : bytes;
    };
    await expect(loadDigitSplit(truncated, 'test')).rejects.toThrow(
      /test-images\.u8 has 1000 bytes/,
    );
  });
});
