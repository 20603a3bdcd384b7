/** The ONNX ops the importer converts, by op type (default domain), each to its converter. */
import { convertArithmetic } from './arithmetic.ts';
import {
  convertClip,
  convertDropout,
  convertHardSigmoid,
  convertHardSwish,
  convertIdentity,
  convertLeakyRelu,
  convertLogSoftmax,
  convertRelu,
  convertSoftmax,
  convertUnary,
} from './activations.ts';
import { convertConv } from './conv.ts';
import type { Conversion } from './conversion.ts';
import { convertGemm, convertMatMul } from './dense.ts';
import { convertBatchNormalization } from './normalization.ts';
import { convertDequantizeLinear } from './quantize.ts';
import { convertAveragePool, convertGlobalPool, convertMaxPool, convertPad } from './pooling.ts';
import {
  convertCast,
  convertConcat,
  convertConstant,
  convertFlatten,
  convertGather,
  convertReshape,
  convertShape,
  convertSqueeze,
  convertTranspose,
  convertUnsqueeze,
} from './shapes.ts';

export type OpConverter = (cx: Conversion) => void;

export const OP_CONVERTERS: Readonly<Record<string, OpConverter>> = {
  Add: convertArithmetic('Add'),
  AveragePool: convertAveragePool,
  BatchNormalization: convertBatchNormalization,
  Cast: convertCast,
  Clip: convertClip,
  Concat: convertConcat,
  Constant: convertConstant,
  Conv: convertConv,
  DequantizeLinear: convertDequantizeLinear,
  Div: convertArithmetic('Div'),
  Dropout: convertDropout,
  Flatten: convertFlatten,
  Gather: convertGather,
  Gemm: convertGemm,
  GlobalAveragePool: convertGlobalPool('avg'),
  GlobalMaxPool: convertGlobalPool('max'),
  HardSigmoid: convertHardSigmoid,
  HardSwish: convertHardSwish,
  Identity: convertIdentity,
  LeakyRelu: convertLeakyRelu,
  LogSoftmax: convertLogSoftmax,
  MatMul: convertMatMul,
  MaxPool: convertMaxPool,
  Mul: convertArithmetic('Mul'),
  Pad: convertPad,
  Relu: convertRelu,
  Reshape: convertReshape,
  Shape: convertShape,
  Sigmoid: convertUnary('sigmoid'),
  Softmax: convertSoftmax,
  Squeeze: convertSqueeze,
  Sub: convertArithmetic('Sub'),
  Tanh: convertUnary('tanh'),
  Transpose: convertTranspose,
  Unsqueeze: convertUnsqueeze,
};

export const SUPPORTED_ONNX_OPS = Object.keys(OP_CONVERTERS);
