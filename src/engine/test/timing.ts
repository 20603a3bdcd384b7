/**
 * Time checks for parsers: a parser is linear when ten times the input takes about ten times
 * as long. Each time is the best of a few trials of enough repetitions to last a few
 * milliseconds, so timer resolution and a stray garbage collection do not decide the ratio.
 * A quadratic parser gives a ratio near 100; the checks allow far less.
 */

/** Milliseconds one call of `run` takes: the best of `trials` batches of at least `minMs`. */
export function timeOf(run: () => void, trials = 3, minMs = 4): number {
  let best = Infinity;
  for (let t = 0; t < trials; t++) {
    let calls = 0;
    const start = performance.now();
    let elapsed = 0;
    do {
      run();
      calls++;
      elapsed = performance.now() - start;
    } while (elapsed < minMs);
    best = Math.min(best, elapsed / calls);
  }
  return best;
}

/** Runs a parser and swallows what it throws: refusing an input is a result too. */
export function attempt(parse: () => unknown): void {
  try {
    parse();
  } catch {
    // timed either way
  }
}

/**
 * How much longer `parse` takes on an input ten times as long: time(make(10 n)) / time(make(n)),
 * with a floor of 2 microseconds per call so that inputs refused at once do not divide noise.
 */
export function growthOf<T>(make: (n: number) => T, parse: (input: T) => unknown, n: number) {
  const small = make(n);
  const large = make(10 * n);
  const floor = 0.002;
  const a = Math.max(
    floor,
    timeOf(() => attempt(() => parse(small))),
  );
  const b = Math.max(
    floor,
    timeOf(() => attempt(() => parse(large))),
  );
  return { ratio: b / a, smallMs: a, largeMs: b };
}
