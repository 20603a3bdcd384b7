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

const KIM_TUCKER2: PaperFigures = {
  paper: 'Kim, Park, Yoo, Choi, Yang, Shin, ICLR 2016 (arXiv 1511.06530)',
  source: 'PAPERS.md: whole-network speedups on a phone of about 2.7x (AlexNet) to 3.7x (VGG-S)',
  method: 'Tucker-2 on conv kernels (ranks by VBMF), SVD on fc layers, one-shot, then fine-tuning',
  speedupOnPhone: { AlexNet: 2.7, 'VGG-S': 3.7 },
  mnist: 'the paper has no MNIST experiment',
};

const SVD_FC: PaperFigures = {
  ...KIM_TUCKER2,
  method:
    'SVD of fully connected layers: keep the top r singular values, r(m + n) weights instead of mn',
};

const FORCE: PaperFigures = {
  paper: 'Wen, Xu, Wu, Chen, Li, ICCV 2017 (arXiv 1703.09746), with Kim et al. ICLR 2016',
  source: 'PAPERS.md',
  speedup: { AlexNetGpu: '2x without accuracy loss', AlexNetCpu: '4.05x with a small loss' },
  lenetSettings: 'force_decay 0.001, Constant force, on conv1 and conv2 (authors’ README)',
};

/** Deep Compression's whole pipeline (Tables 2 and 3 of PAPERS.md; ratios vs float32). */
const DEEP_COMPRESSION_FULL: Readonly<Record<string, PaperFigures>> = {
  lenet300: {
    paper: 'Han, Mao, Dally, ICLR 2016',
    source: 'Deep Compression Table 2 (LeNet-300-100)',
    baselineError: 0.0164,
    error: 0.0158,
    sizeKB: { before: 1070, after: 27 },
    compressionRatio: 40,
    ratioAfterPruning: 12,
    ratioAfterQuantization: 32,
    layers: {
      fc1: {
        kept: 0.08,
        weightBits: 6,
        weightBitsHuffman: 4.4,
        indexBits: 5,
        indexBitsHuffman: 3.7,
      },
      fc2: {
        kept: 0.09,
        weightBits: 6,
        weightBitsHuffman: 4.4,
        indexBits: 5,
        indexBitsHuffman: 4.3,
      },
      fc3: {
        kept: 0.26,
        weightBits: 6,
        weightBitsHuffman: 4.3,
        indexBits: 5,
        indexBitsHuffman: 3.2,
      },
    },
  },
  lenet5: {
    paper: 'Han, Mao, Dally, ICLR 2016',
    source: 'Deep Compression Table 3 (LeNet-5)',
    baselineError: 0.008,
    error: 0.0074,
    sizeKB: { before: 1720, after: 44 },
    compressionRatio: 39,
    ratioAfterPruning: 12,
    ratioAfterQuantization: 33,
    layers: {
      conv1: {
        kept: 0.66,
        weightBits: 8,
        weightBitsHuffman: 7.2,
        indexBits: 5,
        indexBitsHuffman: 1.5,
      },
      conv2: {
        kept: 0.12,
        weightBits: 8,
        weightBitsHuffman: 7.2,
        indexBits: 5,
        indexBitsHuffman: 3.9,
      },
      fc1: {
        kept: 0.08,
        weightBits: 5,
        weightBitsHuffman: 4.5,
        indexBits: 5,
        indexBitsHuffman: 4.5,
      },
      fc2: {
        kept: 0.19,
        weightBits: 5,
        weightBitsHuffman: 5.2,
        indexBits: 5,
        indexBitsHuffman: 3.7,
      },
    },
  },
};

const WQ: PaperFigures = {
  paper: 'Park, Ahn, Yoo, CVPR 2017',
  source: 'PAPERS.md (Quantization); the paper has no MNIST experiment',
  alexNet: 'within 1 point of float top-1 at (weight, activation) bits (3, 6) and (4, 4)',
  weightImportance: 'w^2',
  activations: 'log scale',
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
  if (preset === 'deep-compression') {
    return (
      DEEP_COMPRESSION_FULL[model] ?? {
        paper: DEEP_COMPRESSION_FULL.lenet5.paper,
        source: `the paper reports no figures for "${model}"`,
      }
    );
  }
  if (preset === 'wq') return WQ;
  if (preset === 'ssl') return SSL;
  if (preset === 'dsd') return DSD;
  if (preset === 'tucker2') return KIM_TUCKER2;
  if (preset === 'svd') return SVD_FC;
  if (preset === 'force-tucker2') return FORCE;
  if (preset === 'ttq') return TTQ;
  if (preset === 'xnor') return XNOR;
  if (preset === 'binaryconnect') return BINARY_CONNECT;
  return { paper: 'none', source: `no paper figures for preset "${preset}"` };
}
