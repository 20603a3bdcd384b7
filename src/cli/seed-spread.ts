/**
 * The mean and the spread of one set of figures measured with several training seeds, field by
 * field: what `complab reproduce --seeds N` prints as `ours` and `ours.std`. The standard
 * deviation is the sample one (divided by n - 1), since the seeds are a sample of the seeds one
 * could have drawn.
 */

type Figures = Readonly<Record<string, unknown>>;

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isPlainObject = (v: unknown): v is Figures =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);

export function mean(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('the mean of no values');
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

/** The sample standard deviation (n - 1 in the denominator); 0 for a single value. */
export function sampleStd(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  return Math.sqrt(values.reduce((sum, v) => sum + (v - m) ** 2, 0) / (values.length - 1));
}

/**
 * The values of one field across seeds, combined: numbers by `combine`, arrays and objects
 * field by field (the first seed's keys and length), anything else (a recipe's text, a
 * backend's name) as the first seed has it, or undefined when `numbersOnly`.
 */
function combineAll(
  values: readonly unknown[],
  combine: (numbers: readonly number[]) => number,
  numbersOnly: boolean,
): unknown {
  const [first] = values;
  if (values.every(isNumber)) return combine(values);
  if (Array.isArray(first) && values.every((v) => Array.isArray(v) && v.length === first.length)) {
    const items = first.map((_, i) =>
      combineAll(
        values.map((v) => (v as unknown[])[i]),
        combine,
        numbersOnly,
      ),
    );
    return numbersOnly && items.every((item) => item === undefined) ? undefined : items;
  }
  if (isPlainObject(first) && values.every(isPlainObject)) {
    const fields = Object.entries(first).flatMap(([key]) => {
      const combined = combineAll(
        values.map((v) => (v as Figures)[key]),
        combine,
        numbersOnly,
      );
      return combined === undefined ? [] : [[key, combined] as const];
    });
    return numbersOnly && fields.length === 0 ? undefined : Object.fromEntries(fields);
  }
  return numbersOnly ? undefined : first;
}

/** Each number the seeds' figures hold, averaged; other values as the first seed has them. */
export function meanFigures<T extends Figures>(seeds: readonly T[]): T {
  if (seeds.length === 0) throw new RangeError('no seeds to average');
  return combineAll(seeds, mean, false) as T;
}

/** The sample standard deviation of each number the seeds' figures hold (only the numbers). */
export function stdFigures(seeds: readonly Figures[]): Record<string, unknown> {
  if (seeds.length === 0) throw new RangeError('no seeds to spread');
  return (combineAll(seeds, sampleStd, true) ?? {}) as Record<string, unknown>;
}
