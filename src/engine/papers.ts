/**
 * What the seed papers report, for `complab reproduce` to print beside our own numbers
 * (source: ../shared/PAPERS.md, which cites each table). Our data is 10,000 MNIST digits, not
 * 70,000, so compare compression and accuracy drops, not absolute errors.
 */
export interface PaperFigures {
  readonly paper: string;
  readonly source: string;
  readonly [key: string]: unknown;
}

const DEEP_COMPRESSION: Readonly<Record<string, PaperFigures>> = {
  lenet300: {
    paper: 'Han, Pool, Tran, Dally, NIPS 2015; Han, Mao, Dally, ICLR 2016',
    source: 'Deep Compression Table 2 (pruning columns)',
    baselineError: 0.0164,
    error: 0.0159,
    density: 0.08,
    weightReduction: 12,
    layers: { fc1: 0.08, fc2: 0.09, fc3: 0.26 },
    indexBits: 5,
  },
  lenet5: {
    paper: 'Han, Pool, Tran, Dally, NIPS 2015; Han, Mao, Dally, ICLR 2016',
    source: 'Deep Compression Table 3 (pruning columns)',
    baselineError: 0.008,
    error: 0.0077,
    density: 0.08,
    weightReduction: 12,
    layers: { conv1: 0.66, conv2: 0.12, fc1: 0.08, fc2: 0.19 },
    indexBits: 5,
  },
};

const SSL: PaperFigures = {
  paper: 'Wen, Wu, Wang, Chen, Li, NIPS 2016',
  source: 'LeNet table as recalled in PAPERS.md (not checked against the paper)',
  baselineError: 0.009,
  error: 0.008,
  filters: { conv1: '20 -> 5', conv2: '50 -> 19' },
  speedup: '1.6x-5.2x',
  unverified: true,
};

const DSD: PaperFigures = {
  paper: 'Han, Pool, Narang, et al., ICLR 2017',
  source: 'Abstract and Tables 2-9; the paper has no MNIST experiment',
  top1ErrorBeforeAfter: {
    GoogLeNet: [31.1, 30.0],
    'VGG-16': [31.5, 27.2],
    'ResNet-18': [30.4, 29.2],
    'ResNet-50': [24.0, 22.9],
  },
  sparsity: '25-50% (30% for GoogLeNet, VGG-16, ResNet)',
  redenseLearningRate: '1/10 of the original',
};

const TTQ: PaperFigures = {
  paper: 'Zhu, Han, Mao, Dally, ICLR 2017 (arXiv 1612.01064)',
  source:
    "PAPERS.md (Quantization); ALGORITHMS.md section 4 (the authors' code and README); the paper has no MNIST experiment",
  weightBits: 2,
  compression: 'about 16x',
  threshold: 0.05,
  firstAndLastLayer: 'full precision',
  cifar10PointsAboveFloat: { 'ResNet-32': 0.04, 'ResNet-44': 0.16, 'ResNet-56': 0.36 },
  cifar10ResNet20Error: { ternary: 0.0887, float: 0.0823 },
  alexnetTop1Error: { ternary: 0.425, float: 0.428 },
};

const XNOR: PaperFigures = {
  paper:
    'Rastegari, Ordonez, Redmon, Farhadi, ECCV 2016 (arXiv 1603.05279); Tang, Hua, Wang, AAAI 2017',
  source:
    'PAPERS.md (Quantization); ALGORITHMS.md sections 6 and 7; neither paper has an MNIST experiment',
  weightBits: 1,
  activationBits: 1,
  memorySaving: '32x for binary weights',
  operationSaving: '58x fewer high-precision operations',
  binaryWeightAlexNetTop1Drop: 2.9,
  cifar10Error: { binaryWeights: 0.0988, xnor: 0.1017 },
  firstAndLastLayer: 'full precision',
  tangImageNet: [
    {
      net: 'AlexNet, Tang et al.',
      activationBits: 2,
      lastLayer: 'binary',
      compression: 31.2,
      top5: 71.1,
      top1: 46.6,
    },
    {
      net: 'NIN, Tang et al.',
      activationBits: 2,
      lastLayer: 'binary',
      compression: 23.6,
      top5: 75.6,
      top1: 51.4,
    },
    {
      net: 'AlexNet, XNOR-Net',
      activationBits: 1,
      lastLayer: 'full',
      compression: 10.3,
      top5: 69.2,
      top1: 44.2,
    },
  ],
};

const BINARY_CONNECT: PaperFigures = {
  paper: 'Courbariaux, Bengio, David, NIPS 2015',
  source: 'PAPERS.md (Quantization): MNIST, a permutation-invariant MLP',
  weightBits: 1,
  mnistError: 0.0118,
  binaryNetMnistError: 0.0096,
};

/** The figures a preset's paper gives for a model, or a note that it gives none. */
export function paperFigures(preset: string, model: string): PaperFigures {
  if (preset === 'deep-compression-pruning') {
    return (
      DEEP_COMPRESSION[model] ?? {
        paper: DEEP_COMPRESSION.lenet5.paper,
        source: `the paper reports no figures for "${model}"`,
      }
    );
  }
  if (preset === 'ssl') return SSL;
  if (preset === 'dsd') return DSD;
  if (preset === 'ttq') return TTQ;
  if (preset === 'xnor') return XNOR;
  if (preset === 'binaryconnect') return BINARY_CONNECT;
  return { paper: 'none', source: `no paper figures for preset "${preset}"` };
}
