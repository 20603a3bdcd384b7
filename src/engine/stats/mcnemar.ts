/**
 * Is a difference between two classifiers on the same test images real? McNemar's exact test
 * looks only at the discordant images: `b` that one gets right and the other wrong, `c` the
 * reverse. If both were equally good, each discordant image would fall either way with
 * probability 1/2, so min(b, c) follows Binomial(b + c, 1/2); the two-sided p-value is twice
 * the smaller tail, capped at 1.
 */

/** Up to this many discordant pairs, the terms are summed as plain doubles (2^-1000 is normal). */
const DIRECT_LIMIT = 1000;

/** McNemar's exact two-sided p-value for `b` and `c` discordant pairs. */
export function mcnemarExactPValue(b: number, c: number): number {
  for (const count of [b, c]) {
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new RangeError(`a count of discordant pairs must be a whole number >= 0, not ${count}`);
    }
  }
  const n = b + c;
  const k = Math.min(b, c);
  if (n === 0 || 2 * k >= n) return 1;
  if (n <= DIRECT_LIMIT) {
    // P(X = 0) = 2^-n exactly; P(X = i + 1) = P(X = i) (n - i) / (i + 1).
    let term = Math.pow(0.5, n);
    let tail = term;
    for (let i = 0; i < k; i++) {
      term = (term * (n - i)) / (i + 1);
      tail += term;
    }
    return Math.min(1, 2 * tail);
  }
  // Larger counts in log space: 2^-n underflows past n = 1074. The terms grow up to i = k
  // (k < n / 2), so each is taken relative to the last, the largest, and their sum is >= 1.
  const logTerms = new Float64Array(k + 1);
  logTerms[0] = -n * Math.LN2;
  for (let i = 0; i < k; i++) logTerms[i + 1] = logTerms[i] + Math.log((n - i) / (i + 1));
  let relative = 0;
  for (let i = k; i >= 0; i--) {
    const ratio = Math.exp(logTerms[i] - logTerms[k]);
    relative += ratio;
    if (ratio < 1e-18 * relative) break; // the rest cannot change the sum
  }
  return Math.min(1, 2 * Math.exp(logTerms[k] + Math.log(relative)));
}

/** Two classifiers' answers on the same images, against a baseline. */
export interface PairedComparison {
  /** Images the baseline gets right and the candidate gets wrong. */
  readonly lost: number;
  /** Images the baseline gets wrong and the candidate gets right. */
  readonly gained: number;
  /** McNemar's exact two-sided p-value of lost against gained. */
  readonly pValue: number;
}

/**
 * Compares a candidate's predicted classes with a baseline's on the same images, in the same
 * order, whose true classes are `labels`.
 */
export function comparePaired(
  labels: ArrayLike<number>,
  baseline: ArrayLike<number>,
  candidate: ArrayLike<number>,
): PairedComparison {
  if (baseline.length !== labels.length || candidate.length !== labels.length) {
    throw new RangeError(
      `a paired comparison needs one prediction per image from each: ${labels.length} labels, ${baseline.length} baseline and ${candidate.length} candidate predictions`,
    );
  }
  let lost = 0;
  let gained = 0;
  for (let i = 0; i < labels.length; i++) {
    const baselineRight = baseline[i] === labels[i];
    const candidateRight = candidate[i] === labels[i];
    if (baselineRight && !candidateRight) lost++;
    else if (!baselineRight && candidateRight) gained++;
  }
  return { lost, gained, pValue: mcnemarExactPValue(lost, gained) };
}
