/**
 * Conv -> Conv2D (group 1) or DepthwiseConv2D (one group per input channel): OIHW weights to
 * the lab's HWIO (and [H, W, C, multiplier]), padding that tfjs's 'same' does not make as a
 * ZeroPadding2D before a 'valid' conv.
 */
import type { Conversion } from './conversion.ts';
import { windowGeometry, type WindowGeometry } from './windows.ts';

/** A ZeroPadding2D before the window when its padding is not one tfjs makes; returns the node. */
export function padBefore(cx: Conversion, node: string, geometry: WindowGeometry): string {
  const [[top, bottom], [left, right]] = geometry.pads;
  return cx.emit(
    'ZeroPadding2D',
    {
      padding: [
        [top, bottom],
        [left, right],
      ],
      dataFormat: 'channelsLast',
    },
    [node],
    [],
    '_pad',
  );
}

export function convertConv(cx: Conversion): void {
  cx.onlyAttributes(['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides']);
  const x = cx.image(0);
  const weight = cx.floatInput(1, 'weight');
  if (weight.dims.length !== 4) {
    throw cx.refuse(
      `has a weight of shape [${weight.dims.join(', ')}]; the lab runs 2-D convolutions`,
    );
  }
  const [outC, groupC, kh, kw] = weight.dims;
  const [inC, h, w] = x.shape;
  const groups = cx.attrInt('group', 1);
  if (groups < 1 || groupC * groups !== inC || outC % groups !== 0) {
    throw cx.refuse(`has ${groups} groups of ${groupC} channels, its input has ${inC}`);
  }
  const depthwise = groups > 1;
  if (depthwise && groups !== inC) {
    throw cx.refuse(
      `has ${groups} groups of ${groupC} channels; the lab runs group 1 (Conv2D) or one group per input channel (DepthwiseConv2D)`,
    );
  }
  const bias = cx.optionalInput(2) ? cx.floatInput(2, 'bias') : undefined;
  if (bias && bias.values.length !== outC) {
    throw cx.refuse(`has ${bias.values.length} biases for ${outC} output channels`);
  }
  const geometry = windowGeometry(cx, [h, w], [kh, kw]);
  const [sh, sw] = geometry.strides;
  const [dh, dw] = geometry.dilations;
  if (Math.max(dh, dw) > 1 && (depthwise || Math.max(sh, sw) > 1)) {
    throw cx.refuse(
      depthwise
        ? 'is a dilated depthwise convolution, which the lab does not run'
        : 'has both strides and dilations above 1, which tfjs runs one at a time',
    );
  }
  let input = x.node;
  let padding = geometry.tfPadding;
  if (padding === null) {
    input = padBefore(cx, input, geometry);
    padding = 'valid';
  }
  const multiplier = outC / inC;
  // HWIO: kernel[y][x][i][o] = weight[o][i][y][x]; depthwise: [y][x][c][m] = weight[c*M+m][0][y][x].
  const kernel = new Float32Array(weight.values.length);
  const inner = depthwise ? 1 : inC;
  let k = 0;
  for (let y = 0; y < kh; y++)
    for (let xx = 0; xx < kw; xx++)
      for (let i = 0; i < inner; i++)
        for (let o = 0; o < outC; o++)
          kernel[k++] = weight.values[((o * inner + i) * kh + y) * kw + xx];
  const weights: ['kernel' | 'depthwise_kernel' | 'bias', readonly number[], Float32Array][] = [
    depthwise
      ? ['depthwise_kernel', [kh, kw, inC, multiplier], kernel]
      : ['kernel', [kh, kw, inC, outC], kernel],
  ];
  if (bias) weights.push(['bias', [outC], bias.values.slice()]);
  const common = {
    kernelSize: [kh, kw],
    strides: [sh, sw],
    padding,
    dataFormat: 'channelsLast',
    activation: 'linear',
    useBias: bias !== undefined,
  };
  const node = depthwise
    ? cx.emit('DepthwiseConv2D', { ...common, depthMultiplier: multiplier }, [input], weights)
    : cx.emit('Conv2D', { ...common, filters: outC, dilationRate: [dh, dw] }, [input], weights);
  cx.defineImage(node, [outC, ...windowOutputs(h, w, geometry)]);
}

/** Output rows and columns of a window (ONNX's formula, padding and overhang included). */
export function windowOutputs(h: number, w: number, geometry: WindowGeometry): [number, number] {
  const out = (size: number, axis: 0 | 1) => {
    const padded = size + geometry.pads[axis][0] + geometry.pads[axis][1] + geometry.overhang[axis];
    const extent = (geometry.kernel[axis] - 1) * geometry.dilations[axis] + 1;
    return Math.floor((padded - extent) / geometry.strides[axis]) + 1;
  };
  return [out(h, 0), out(w, 1)];
}
