/**
 * Layer descriptions shared by the fast kernels, in tfjs's layouts (NHWC activations, conv
 * filters HWIO [kh, kw, in, out], dense kernels [in, out]), and the conv geometry tfjs uses
 * for 'same' and 'valid' padding (tf.backend_util.computeConv2DInfo: 'same' puts the odd pixel
 * of padding at the bottom/right).
 */
export interface LayerKernelSpec {
  op: 'conv2d' | 'dense';
  /** conv [kh, kw, in, out] (HWIO), dense [in, out]; zeros count as pruned for sparse kernels. */
  weights: Float32Array;
  /** The weights' shape, as above. */
  shape: number[];
  bias?: Float32Array;
  /** conv only; dense layers ignore them. */
  strides?: [number, number];
  padding?: 'same' | 'valid';
  dilation?: [number, number];
  /** One example's shape, without the batch: conv [h, w, c], dense [in]. */
  inputShape: number[];
  /** The batch the layer is prepared (and autotuned) for; other batches still work. */
  batch: number;
  /**
   * XNOR-Net (Rastegari et al. 2016). weights: W is replaced by alpha * sign(W), alpha = mean |W|
   * per output filter (§3.1). inputs: x is replaced by sign(x) and the result scaled by K, the
   * mean of |x| over channels averaged over each window (conv, §3.2) or over the row (dense).
   * sign(0) = +1 everywhere.
   */
  binary?: { weights: boolean; inputs: boolean };
}

export interface ConvGeometry {
  n: number;
  h: number;
  w: number;
  c: number;
  kh: number;
  kw: number;
  k: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  padTop: number;
  padLeft: number;
  padBottom: number;
  padRight: number;
  oh: number;
  ow: number;
}

export function convGeometry(
  inputShape: readonly number[],
  batch: number,
  filterShape: readonly number[],
  strides: readonly [number, number] = [1, 1],
  padding: 'same' | 'valid' = 'valid',
  dilation: readonly [number, number] = [1, 1],
): ConvGeometry {
  const [h, w, c] = inputShape;
  const [kh, kw, cin, k] = filterShape;
  if (cin !== c) throw new Error(`filter has ${cin} input channels, the input ${c}`);
  const [sh, sw] = strides;
  const [dh, dw] = dilation;
  const ekh = (kh - 1) * dh + 1;
  const ekw = (kw - 1) * dw + 1;
  let oh: number, ow: number, padTop: number, padLeft: number, padBottom: number, padRight: number;
  if (padding === 'same') {
    oh = Math.ceil(h / sh);
    ow = Math.ceil(w / sw);
    const padH = Math.max(0, (oh - 1) * sh + ekh - h);
    const padW = Math.max(0, (ow - 1) * sw + ekw - w);
    padTop = Math.floor(padH / 2);
    padLeft = Math.floor(padW / 2);
    padBottom = padH - padTop;
    padRight = padW - padLeft;
  } else {
    oh = Math.ceil((h - ekh + 1) / sh);
    ow = Math.ceil((w - ekw + 1) / sw);
    padTop = padLeft = padBottom = padRight = 0;
  }
  if (oh <= 0 || ow <= 0) throw new Error(`a ${kh}x${kw} filter does not fit a ${h}x${w} input`);
  return {
    n: batch,
    h,
    w,
    c,
    kh,
    kw,
    k,
    sh,
    sw,
    dh,
    dw,
    padTop,
    padLeft,
    padBottom,
    padRight,
    oh,
    ow,
  };
}

/** The geometry of a conv spec at a given batch. */
export function specGeometry(spec: LayerKernelSpec, batch = spec.batch): ConvGeometry {
  return convGeometry(
    spec.inputShape,
    batch,
    spec.shape,
    spec.strides ?? [1, 1],
    spec.padding ?? 'valid',
    spec.dilation ?? [1, 1],
  );
}

/** Multiply-accumulates of the layer at its batch (direct algorithm). */
export function specMacs(spec: LayerKernelSpec, batch = spec.batch): number {
  if (spec.op === 'dense') return batch * spec.shape[0] * spec.shape[1];
  const g = specGeometry(spec, batch);
  return g.n * g.oh * g.ow * g.k * g.kh * g.kw * g.c;
}
