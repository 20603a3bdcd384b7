/**
 * The quantization family's declarations (tfjs-free, read by the page through catalog.ts).
 */
import type { ParamSpec, TechniqueSpec } from '../technique.ts';

const activationParams: ParamSpec[] = [
  {
    type: 'integer',
    name: 'activationBits',
    label: 'Activation bits',
    min: 0,
    max: 16,
    default: 8,
    description:
      'bits of the ReLU outputs of conv and dense layers, fake-quantized (0 keeps them float)',
  },
];

export const QUANTIZE_SPECS: readonly TechniqueSpec[] = [
  {
    id: 'quantize-linear',
    family: 'quantize',
    label: 'Linear fixed point WQ(x, y)',
    description:
      'Weights to x-bit fixed point (per layer or per output channel, symmetric or asymmetric) and ReLU activations to y bits over their calibrated range; a finetune step after it trains through the rounding (straight-through estimator).',
    params: [
      {
        type: 'perLayer',
        name: 'weightBits',
        label: 'Weight bits',
        min: 1,
        max: 16,
        step: 1,
        default: { '*': 8 },
        description: 'per layer: bits of each weight, 1 to 16',
      },
      ...activationParams,
      {
        type: 'choice',
        name: 'granularity',
        label: 'Scales',
        options: [
          { value: 'channel', label: 'per output channel' },
          { value: 'layer', label: 'per layer' },
        ],
        default: 'channel',
        description: 'one scale per output channel or one per layer',
      },
      {
        type: 'choice',
        name: 'mode',
        label: 'Range',
        options: [
          { value: 'symmetric', label: 'symmetric' },
          { value: 'asymmetric', label: 'asymmetric (zero point)' },
        ],
        default: 'symmetric',
        description: 'symmetric around 0, or [min, max] with a zero point',
      },
    ],
  },
  {
    id: 'kmeans',
    family: 'quantize',
    label: 'Trained quantization (k-means)',
    description:
      "Deep Compression's weight sharing: each layer's kept weights clustered into 2^bits shared values; a finetune step after it trains the centroids (gradients summed per cluster) with the indices and pruned zeros held (Han et al. 2016).",
    params: [
      {
        type: 'perLayer',
        name: 'bits',
        label: 'Index bits',
        min: 1,
        max: 16,
        step: 1,
        default: { '*': 5 },
        description: 'per layer: bits of a shared-weight index (the paper: 8 conv, 5 dense)',
      },
      {
        type: 'choice',
        name: 'init',
        label: 'Centroid init',
        options: [
          { value: 'linear', label: 'linear' },
          { value: 'density', label: 'density-based' },
          { value: 'random', label: 'random (Forgy)' },
        ],
        default: 'linear',
        description: 'where the centroids start: linear over [min, max] is the paper’s best',
      },
      {
        type: 'boolean',
        name: 'biases',
        label: 'Share biases too',
        default: false,
        description:
          'also cluster each layer’s biases (at most as many clusters as biases); the paper leaves them float',
      },
    ],
  },
  {
    id: 'weighted-entropy',
    family: 'quantize',
    label: 'Weighted-entropy quantization',
    description:
      'Weight levels chosen to maximize weighted entropy with importance w² (Park, Ahn, Yoo 2017), activations on a log scale (or linear) chosen the same way; a finetune step after it trains through the quantizer.',
    params: [
      {
        type: 'perLayer',
        name: 'weightBits',
        label: 'Weight bits',
        min: 1,
        max: 16,
        step: 1,
        default: { '*': 4 },
        description: 'per layer: bits of each weight (2^bits levels, no zero level)',
      },
      ...activationParams,
      {
        type: 'choice',
        name: 'activations',
        label: 'Activation scale',
        options: [
          { value: 'log', label: 'log (WQ)' },
          { value: 'linear', label: 'linear' },
        ],
        default: 'log',
        description: 'log-scale levels as the WQ paper, or linear fixed point',
      },
    ],
  },
  {
    id: 'huffman',
    family: 'encode',
    label: 'Huffman coding',
    description:
      "Deep Compression's last stage: the shared-weight indices and the sparse relative indices of every weight-sharing layer are Huffman-coded in the stored file (Han et al. 2016, section 4).",
    params: [],
  },
];
