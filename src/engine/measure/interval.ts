/**
 * How sure a partial accuracy is. While the test digits are evaluated in chunks, `correct` of
 * the `seen` digits so far estimate the accuracy over all `total` of them. The digits are a
 * fixed set, evaluated in the seeded shuffled order the data build gave them, so the ones seen
 * are a simple random sample drawn without replacement from that set: the interval is Wilson's
 * score interval with the finite-population correction (N - n) / (N - 1) on the variance, which
 * shrinks to the exact value once every digit is seen, clipped to what the unseen digits can
 * still change (each is either right or wrong).
 */

/** z for a two-sided 95 % interval. */
export const Z_95 = 1.959963984540054;

export interface Interval {
  readonly low: number;
  readonly high: number;
}

/**
 * Wilson's score interval for a binomial proportion: the p with |p̂ - p| <= z·sqrt(v·p(1-p)/n),
 * where v scales the variance (1 for sampling with replacement).
 */
function scoreInterval(correct: number, seen: number, z: number, varianceScale: number): Interval {
  const p = correct / seen;
  const z2 = z * z * varianceScale;
  const denominator = 1 + z2 / seen;
  const center = (p + z2 / (2 * seen)) / denominator;
  const half =
    (Math.sqrt(z2) / denominator) * Math.sqrt((p * (1 - p)) / seen + z2 / (4 * seen ** 2));
  return { low: Math.max(0, center - half), high: Math.min(1, center + half) };
}

function checkCounts(correct: number, seen: number): void {
  if (
    !Number.isInteger(correct) ||
    !Number.isInteger(seen) ||
    seen < 1 ||
    correct < 0 ||
    correct > seen
  ) {
    throw new RangeError(
      `an interval needs 0 <= correct <= seen and seen >= 1 (got ${correct} of ${seen})`,
    );
  }
}

/** Wilson's 95 % score interval for `correct` successes in `seen` independent trials. */
export function wilsonInterval(correct: number, seen: number, z = Z_95): Interval {
  checkCounts(correct, seen);
  return scoreInterval(correct, seen, z, 1);
}

/**
 * The accuracy over all `total` digits, from `correct` of the first `seen` (a random sample of
 * them): Wilson's interval with the finite-population correction, within the bounds the unseen
 * digits allow ([correct, correct + total - seen] / total). Exact once seen == total.
 */
export function finitePopulationInterval(
  correct: number,
  seen: number,
  total: number,
  z = Z_95,
): Interval {
  checkCounts(correct, seen);
  if (!Number.isInteger(total) || total < seen) {
    throw new RangeError(`total (${total}) must be a whole number no smaller than seen (${seen})`);
  }
  const exact = { low: correct / total, high: (correct + total - seen) / total };
  if (seen === total) return exact;
  const correction = total > 1 ? (total - seen) / (total - 1) : 0;
  const score = scoreInterval(correct, seen, z, correction);
  return { low: Math.max(exact.low, score.low), high: Math.min(exact.high, score.high) };
}
