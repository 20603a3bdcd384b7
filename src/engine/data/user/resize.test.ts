import { describe, expect, it } from 'vitest';
import { resizeImage } from './resize.ts';

describe('resizing an image', () => {
  // One channel, [[0, 100], [200, 40]], to 4 x 4. With half-pixel centres the output columns
  // sample the source at x = -0.25, 0.25, 0.75, 1.25, clamped to 0, 0.25, 0.75, 1 (rows alike).
  const source = Uint8Array.from([0, 100, 200, 40]);

  it('bilinear 2x2 -> 4x4, worked by hand', () => {
    // Row 0: 0, 0.75*0 + 0.25*100 = 25, 75, 100; row 3: 200, 0.75*200 + 0.25*40 = 160, 80, 40.
    // Row 1 = 0.75 row 0 + 0.25 row 3: 50, 58.75 -> 59, 76.25 -> 76, 85.
    // Row 2 = 0.25 row 0 + 0.75 row 3: 150, 126.25 -> 126, 78.75 -> 79, 55.
    const out = resizeImage(source, [2, 2, 1], [4, 4], 'bilinear');
    expect([...out]).toEqual([0, 25, 75, 100, 50, 59, 76, 85, 150, 126, 79, 55, 200, 160, 80, 40]);
  });

  it('nearest 2x2 -> 4x4: each source pixel becomes a 2x2 block', () => {
    const out = resizeImage(source, [2, 2, 1], [4, 4], 'nearest');
    expect([...out]).toEqual([0, 0, 100, 100, 0, 0, 100, 100, 200, 200, 40, 40, 200, 200, 40, 40]);
  });

  it('keeps channels apart and leaves an image of the same size unchanged', () => {
    const rgb = Uint8Array.from([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120]);
    expect([...resizeImage(rgb, [2, 2, 3], [2, 2], 'bilinear')]).toEqual([...rgb]);
    // 2 x 2 -> 1 x 1 bilinear samples the centre: the mean of the four, per channel.
    expect([...resizeImage(rgb, [2, 2, 3], [1, 1], 'bilinear')]).toEqual([55, 65, 75]);
  });
});
