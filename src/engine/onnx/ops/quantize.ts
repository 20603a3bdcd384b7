/**
 * DequantizeLinear of a constant (how fixed-point weights are stored, by the lab's own ONNX
 * export among others): folded into the float weights it stands for, (level - zero point) *
 * scale per tensor or per channel on `axis`, rounded to float32 as ONNX computes it. A
 * DequantizeLinear of a computed tensor (activation quantization) is refused.
 */
import type { Conversion } from './conversion.ts';

export function convertDequantizeLinear(cx: Conversion): void {
  cx.onlyAttributes(['axis']);
  if (cx.input(0).kind === 'tensor') {
    throw cx.refuse(
      'dequantizes a computed tensor (quantized activations); the lab imports it only on constant weights',
    );
  }
  const levels = cx.intInput(0, 'quantized weights');
  const scale = cx.floatInput(1, 'scale');
  const zero = cx.optionalInput(2) ? cx.intInput(2, 'zero point').values : [0];
  const dims = levels.dims;
  const rank = dims.length;
  const channels = scale.values.length;
  const rawAxis = cx.attrInt('axis', 1);
  const axis = rawAxis < 0 ? rawAxis + rank : rawAxis;
  if (zero.length !== channels)
    throw cx.refuse('has a zero point and a scale of different lengths');
  if (channels > 1 && (axis < 0 || axis >= rank || dims[axis] !== channels)) {
    throw cx.refuse(`has ${channels} scales, but axis ${rawAxis} of its weights is not that long`);
  }
  // Elements between two steps of the channel axis (row-major): the stride of `axis`.
  const stride = channels > 1 ? dims.slice(axis + 1).reduce((a, b) => a * b, 1) : 1;
  const values = new Float32Array(levels.values.length);
  for (let i = 0; i < values.length; i++) {
    const c = channels > 1 ? Math.floor(i / stride) % channels : 0;
    values[i] = ((levels.values[i] as number) - (zero[c] as number)) * scale.values[c];
  }
  cx.define({ kind: 'floats', dims: [...dims], values });
}
