/** The committed WebAssembly modules are exactly what wabt assembles from their .wat today. */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assembleWat, generatedModuleText } from '../../../scripts/wasm-assemble.ts';
import { wasmSimdSupported } from './arena.ts';

const kernels = join(fileURLToPath(import.meta.url), '..', '..');
const wats = readdirSync(kernels, { recursive: true, encoding: 'utf8' })
  .filter((name) => name.endsWith('.wat'))
  .map((name) => join(kernels, name));

describe('generated WebAssembly modules', () => {
  it('finds the .wat sources', () => {
    expect(wats.map((p) => basename(p)).sort()).toEqual(['csr.wat', 'xnor.wat']);
  });

  for (const wat of wats) {
    it(`${basename(wat)} matches its .wasm.ts (else: npm run build:wasm)`, async () => {
      const bytes = await assembleWat(basename(wat), readFileSync(wat, 'utf8'));
      const committed = readFileSync(wat.replace(/\.wat$/, '.wasm.ts'), 'utf8');
      expect(committed).toBe(generatedModuleText(basename(wat), bytes));
      expect(WebAssembly.validate(new Uint8Array(bytes))).toBe(true);
    });
  }

  it('detects WebAssembly SIMD in Node', () => {
    expect(wasmSimdSupported()).toBe(true);
  });
});
