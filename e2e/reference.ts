/**
 * Expected values that do not come from the page: the complab CLI (the same recipe evaluated in
 * Node, outside the browser), and a check that a screenshot shows something.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inflateSync } from 'node:zlib';
import { expect, type Locator, type Page } from '@playwright/test';
import type { RunResult } from '../src/engine/lab.ts';

const root = join(import.meta.dirname, '..');
const evaluated = new Map<string, Promise<RunResult>>();

/** `complab eval --recipe <recipeText> --json` on WASM: the result the page must show. */
export function cliResult(recipeText: string): Promise<RunResult> {
  let result = evaluated.get(recipeText);
  if (!result) {
    result = promisify(execFile)(
      'node',
      ['bin/complab.mjs', 'eval', '--recipe', recipeText, '--backend', 'wasm', '--json', '--quiet'],
      { cwd: root, maxBuffer: 256 * 1024 * 1024 },
    ).then(({ stdout }) => JSON.parse(stdout) as RunResult);
    evaluated.set(recipeText, result);
  }
  return result;
}

/** The accuracy as the page writes it ("98.30 %"), from a correct count out of `total`. */
export const accuracyText = (correct: number, total: number) =>
  `${((100 * correct) / total).toFixed(2)} %`;

/** Red, green, blue of every pixel of an 8-bit RGB or RGBA PNG (what Chromium writes). */
export function pngPixels(png: Buffer): { width: number; height: number; rgb: Uint8Array } {
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  const [depth, colour, , , interlace] = png.subarray(24, 29);
  if (depth !== 8 || (colour !== 2 && colour !== 6) || interlace !== 0) {
    throw new Error(
      `unexpected PNG: depth ${depth}, colour type ${colour}, interlace ${interlace}`,
    );
  }
  const channels = colour === 6 ? 4 : 3;
  const chunks: Buffer[] = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    if (png.toString('latin1', at + 4, at + 8) === 'IDAT')
      chunks.push(png.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(chunks));
  const stride = width * channels;
  const image = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const left = x >= channels ? image[y * stride + x - channels] : 0;
      const up = y > 0 ? image[(y - 1) * stride + x] : 0;
      const upLeft = y > 0 && x >= channels ? image[(y - 1) * stride + x - channels] : 0;
      let predicted = 0;
      if (filter === 1) predicted = left;
      else if (filter === 2) predicted = up;
      else if (filter === 3) predicted = (left + up) >> 1;
      else if (filter === 4) {
        const p = left + up - upLeft;
        const [pa, pb, pc] = [Math.abs(p - left), Math.abs(p - up), Math.abs(p - upLeft)];
        predicted = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      }
      image[y * stride + x] = (line[x] + predicted) & 0xff;
    }
  }
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++)
    rgb.set(image.subarray(i * channels, i * channels + 3), i * 3);
  return { width, height, rgb };
}

/**
 * Keeps a screenshot of `target` (a page: the whole page; a locator: that part) in the test's
 * artefacts, and fails when it is blank: one colour over nearly all of it, or fewer than a few
 * colours (an empty chart, a white page). Screenshots are not compared with a reference picture:
 * fonts and anti-aliasing differ between machines; what the picture must show is asserted on
 * the DOM before it is taken.
 */
export async function keepScreenshot(
  target: Page | Locator,
  path: string,
  options: { fullPage?: boolean } = {},
): Promise<void> {
  const png =
    'goto' in target
      ? await target.screenshot({ fullPage: options.fullPage ?? false })
      : await target.screenshot();
  writeFileSync(path, png);
  const { rgb } = pngPixels(png);
  const counts = new Map<number, number>();
  for (let i = 0; i < rgb.length; i += 3) {
    const colour = (rgb[i] << 16) | (rgb[i + 1] << 8) | rgb[i + 2];
    counts.set(colour, (counts.get(colour) ?? 0) + 1);
  }
  const pixels = rgb.length / 3;
  const commonest = Math.max(...counts.values());
  expect(counts.size, `${path}: colours in the screenshot`).toBeGreaterThan(8);
  expect(commonest / pixels, `${path}: share of its commonest colour`).toBeLessThan(0.995);
}
