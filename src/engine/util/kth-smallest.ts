/**
 * The k-th smallest value (0-based) of an array, without sorting it all: quickselect with a
 * three-way partition, so runs of equal values (the zeros of an already pruned layer) cost one
 * pass, and a median-of-three pivot. Linear on average; what `values.slice().sort()[k]` gives.
 * Works on a copy; the input is not changed. NaN is not expected (weights are finite).
 */
export function kthSmallest(values: Float32Array, k: number): number {
  if (!Number.isInteger(k) || k < 0 || k >= values.length) {
    throw new RangeError(`k must be a whole number below ${values.length} (got ${k})`);
  }
  const a = values.slice();
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const mid = lo + ((hi - lo) >> 1);
    const [x, y, z] = [a[lo], a[mid], a[hi]];
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    // a[lo..lt) < pivot, a[lt..i) == pivot, a(gt..hi] > pivot
    let lt = lo;
    let gt = hi;
    let i = lo;
    while (i <= gt) {
      const v = a[i];
      if (v < pivot) {
        a[i++] = a[lt];
        a[lt++] = v;
      } else if (v > pivot) {
        a[i] = a[gt];
        a[gt--] = v;
      } else i++;
    }
    if (k < lt) hi = lt - 1;
    else if (k > gt) lo = gt + 1;
    else return pivot;
  }
  return a[lo];
}
