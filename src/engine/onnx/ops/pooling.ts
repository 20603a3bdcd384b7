/**
 * MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool and the constant Pad PyTorch puts
 * before a pool. Padding tfjs's 'same' does not make is explicit (the pool's `pads`, cells that
 * are never the maximum and never counted in an average) or, for an average that counts its
 * padding (count_include_pad), a ZeroPadding2D before it.
 */
import { padBefore, windowOutputs } from './conv.ts';
import type { Conversion } from './conversion.ts';
import { floatsOf } from './values.ts';
import { windowGeometry, type Pads } from './windows.ts';

function convertPool(cx: Conversion, mode: 'max' | 'avg'): void {
  cx.onlyAttributes(
    mode === 'max'
      ? ['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'storage_order', 'strides']
      : ['auto_pad', 'ceil_mode', 'count_include_pad', 'kernel_shape', 'pads', 'strides'],
  );
  const indices = cx.current.node.outputs[1];
  if (indices && cx.readCount(indices) > 0) throw cx.refuse('has its indices read');
  const x = cx.image(0);
  const [c, h, w] = x.shape;
  const size = cx.attrInts('kernel_shape');
  if (!size || size.length !== 2) {
    throw cx.refuse(`has kernel_shape [${size?.join(', ') ?? ''}]; the lab pools 2-D images`);
  }
  const geometry = windowGeometry(cx, [h, w], [size[0], size[1]], {
    ceilMode: cx.attrInt('ceil_mode', 0) !== 0,
  });
  if (geometry.dilations.some((d) => d !== 1)) throw cx.refuse('is a dilated pool');
  const countPadding = mode === 'avg' && cx.attrInt('count_include_pad', 0) !== 0;
  const className = mode === 'max' ? 'MaxPooling2D' : 'AveragePooling2D';
  const config = {
    poolSize: [...geometry.kernel],
    strides: [...geometry.strides],
    dataFormat: 'channelsLast',
  };
  let input = x.node;
  let node: string;
  const [[top, bottom], [left, right]] = geometry.pads;
  const [overRows, overColumns] = geometry.overhang;
  // An average that leaves padding out takes explicit pads even where tfjs's 'same' would pad
  // alike: the layer's explicit form also trains with the right gradient (layers.ts).
  if (geometry.tfPadding === 'valid' || (geometry.tfPadding === 'same' && mode === 'max')) {
    node = cx.emit(className, { ...config, padding: geometry.tfPadding }, [input]);
  } else {
    let pads: Pads = [
      [top, bottom + overRows],
      [left, right + overColumns],
    ];
    if (countPadding && (top || bottom || left || right)) {
      input = padBefore(cx, input, geometry);
      pads = [
        [0, overRows],
        [0, overColumns],
      ];
    }
    const explicit = pads.some(([a, b]) => a > 0 || b > 0);
    node = cx.emit(className, { ...config, padding: 'valid', ...(explicit ? { pads } : {}) }, [
      input,
    ]);
  }
  cx.defineImage(node, [c, ...windowOutputs(h, w, geometry)]);
}

export const convertMaxPool = (cx: Conversion) => convertPool(cx, 'max');
export const convertAveragePool = (cx: Conversion) => convertPool(cx, 'avg');

export function convertGlobalPool(mode: 'max' | 'avg') {
  return (cx: Conversion): void => {
    cx.onlyAttributes([]);
    const x = cx.image(0);
    const c = x.shape[0];
    const node = cx.emit(
      mode === 'max' ? 'GlobalMaxPooling2D' : 'GlobalAveragePooling2D',
      { dataFormat: 'channelsLast' },
      [x.node],
    );
    cx.define({ kind: 'tensor', node, shape: [c, 1, 1], labShape: [c], order: null });
  };
}

export function convertPad(cx: Conversion): void {
  let pads: readonly number[] | undefined;
  let value = 0;
  const mode = cx.attrString('mode', 'constant');
  if (cx.opset < 11) {
    cx.onlyAttributes(['mode', 'pads', 'value', 'paddings']);
    pads = cx.attrInts('pads') ?? cx.attrInts('paddings');
    value = cx.attrFloat('value', 0);
  } else {
    cx.onlyAttributes(['mode']);
    const given = cx.intInput(1, 'pads').values;
    if (given.some((p) => typeof p !== 'number')) throw cx.refuse('pads by the batch size');
    pads = given as number[];
    const constant = cx.optionalInput(2);
    if (constant) {
      if (constant.kind === 'tensor') throw cx.refuse('pads with a computed value');
      value = floatsOf(constant)?.[0] ?? NaN;
    }
    if (cx.optionalInput(3)) throw cx.refuse('pads chosen axes (the axes input)');
  }
  if (mode !== 'constant')
    throw cx.refuse(`pads in mode "${mode.slice(0, 20)}"; the lab pads with zeros`);
  if (value !== 0) throw cx.refuse(`pads with ${value}; the lab pads with zeros`);
  const x = cx.image(0);
  if (!pads || pads.length !== 8)
    throw cx.refuse(`has pads [${pads?.join(', ') ?? ''}] for a 4-D image`);
  const [nBegin, cBegin, top, left, nEnd, cEnd, bottom, right] = pads;
  if (nBegin || cBegin || nEnd || cEnd) throw cx.refuse('pads the batch or channel axis');
  if ([top, left, bottom, right].some((p) => !Number.isInteger(p) || p < 0 || p > 65536)) {
    throw cx.refuse(`has pads [${pads.join(', ')}]; the lab adds whole rows and columns`);
  }
  const node = cx.emit(
    'ZeroPadding2D',
    {
      padding: [
        [top, bottom],
        [left, right],
      ],
      dataFormat: 'channelsLast',
    },
    [x.node],
  );
  const [c, h, w] = x.shape;
  cx.defineImage(node, [c, h + top + bottom, w + left + right]);
}
