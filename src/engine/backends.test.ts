import { describe, expect, it } from 'vitest';
import { wasmThreadsFor } from './backends.ts';

describe('wasmThreadsFor', () => {
  it('leaves the page one core, and never goes below one thread', () => {
    expect([1, 2, 3, 4, 8, 16].map(wasmThreadsFor)).toEqual([1, 1, 2, 3, 7, 15]);
    expect(wasmThreadsFor(0)).toBe(1); // hardwareConcurrency unknown
  });
});
