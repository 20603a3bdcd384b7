/** mulberry32: a small seeded generator, uniform in [0, 1); for autotune inputs and tests. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform in [-1, 1); with `density` < 1, about that fraction nonzero (the rest exactly 0). */
export function randomValues(length: number, seed: number, density = 1): Float32Array {
  const rng = seededRandom(seed);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    const v = rng() * 2 - 1;
    out[i] = density >= 1 || rng() < density ? v : 0;
  }
  return out;
}
