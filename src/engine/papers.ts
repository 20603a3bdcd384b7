/**
 * What the seed papers report, for `complab reproduce` to print beside our own numbers. Every
 * figure names where it is printed (`sources`: paper, venue or arXiv version, table or section),
 * so a reader can check it; ../shared/PAPERS.md and ALGORITHMS.md collect the same figures.
 * The papers' MNIST figures are on its 10,000 test digits, as ours are with `--data mnist` (the
 * default; we train on 55,000 of the 60,000, the other 5,000 held out for validation). On
 * mnist-10k (2,000 test digits of a 10,000-digit set) or Fashion-MNIST, compare compression and
 * accuracy drops, not absolute errors.
 */
export interface PaperFigures {
  readonly paper: string;
  readonly source: string;
  /** Where each figure below is printed, by its key (every figure has one). */
  readonly sources?: Readonly<Record<string, string>>;
  readonly [key: string]: unknown;
}

/** Han, Pool, Tran, Dally, "Learning both Weights and Connections", NIPS 2015 (arXiv 1506.02626). */
const HAN_2015 = 'Han et al., NIPS 2015 (Learning both Weights and Connections, arXiv 1506.02626)';
/** Han, Mao, Dally, "Deep Compression", ICLR 2016 (arXiv 1510.00149). */
const DEEP_COMPRESSION_2016 = 'Han, Mao, Dally, ICLR 2016 (Deep Compression, arXiv 1510.00149)';
/** The ECCV version; arXiv 1603.05279 v1's abstract said binary-weight AlexNet was 2.9 points below float. */
const XNOR_ECCV =
  'Rastegari, Ordonez, Redmon, Farhadi, ECCV 2016 (arXiv 1603.05279 v4, the ECCV text)';

const DEEP_COMPRESSION: Readonly<Record<string, PaperFigures>> = {
  lenet300: {
    paper: 'Han, Pool, Tran, Dally, NIPS 2015; Han, Mao, Dally, ICLR 2016',
    source: `${HAN_2015}, Tables 1 and 2; index bits: ${DEEP_COMPRESSION_2016}, Table 2`,
    sources: {
      baselineError: `${HAN_2015}, Table 1 (LeNet-300-100 Ref, top-1 error)`,
      error: `${HAN_2015}, Table 1 (LeNet-300-100 Pruned, top-1 error)`,
      density: `${HAN_2015}, Table 2 (total weights kept)`,
      weightReduction: `${HAN_2015}, Table 1 (compression rate)`,
      layers: `${HAN_2015}, Table 2 (weights kept per layer)`,
      indexBits: `${DEEP_COMPRESSION_2016}, Table 2 (index bits, P+Q)`,
    },
    baselineError: 0.0164,
    error: 0.0159,
    density: 0.08,
    weightReduction: 12,
    layers: { fc1: 0.08, fc2: 0.09, fc3: 0.26 },
    indexBits: 5,
  },
  lenet5: {
    paper: 'Han, Pool, Tran, Dally, NIPS 2015; Han, Mao, Dally, ICLR 2016',
    source: `${HAN_2015}, Tables 1 and 3; index bits: ${DEEP_COMPRESSION_2016}, Table 3`,
    sources: {
      baselineError: `${HAN_2015}, Table 1 (LeNet-5 Ref, top-1 error)`,
      error: `${HAN_2015}, Table 1 (LeNet-5 Pruned, top-1 error)`,
      density: `${HAN_2015}, Table 3 (total weights kept)`,
      weightReduction: `${HAN_2015}, Table 1 (compression rate)`,
      layers: `${HAN_2015}, Table 3 (weights kept per layer)`,
      indexBits: `${DEEP_COMPRESSION_2016}, Table 3 (index bits, P+Q)`,
    },
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
  sources: {
    baselineError: "PAPERS.md, recalled (the paper's LeNet table; not checked)",
    error: "PAPERS.md, recalled (the paper's LeNet table; not checked)",
    filters: "PAPERS.md, recalled (the paper's LeNet table; not checked)",
    speedup: "PAPERS.md, recalled (the paper's LeNet table; not checked)",
  },
  baselineError: 0.009,
  error: 0.008,
  filters: { conv1: '20 -> 5', conv2: '50 -> 19' },
  speedup: '1.6x-5.2x',
  unverified: true,
};

const DSD: PaperFigures = {
  paper: 'Han, Pool, Narang, et al., ICLR 2017',
  source: 'arXiv 1607.04381 (ICLR 2017); the paper has no MNIST experiment',
  sources: {
    top1ErrorBeforeAfter:
      'ImageNet results, one table per network (baseline vs DSD top-1 error); the abstract gives the differences (1.1, 4.3, 1.2, 1.1 points)',
    sparsity: 'Section 2 (the S step) and the per-network settings of section 3',
    redenseLearningRate: 'Section 2 (the re-dense step), Algorithm 1',
  },
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
  sources: {
    speedupOnPhone:
      'Kim et al., ICLR 2016, the whole-network results on a Samsung Galaxy S6 (as PAPERS.md records them; table not re-read here)',
  },
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
  sources: {
    speedup: 'Wen et al., ICCV 2017 (arXiv 1703.09746), abstract',
    lenetSettings: "the authors' repository README (wenwei202/caffe, force regularization)",
  },
  speedup: { AlexNetGpu: '2x without accuracy loss', AlexNetCpu: '4.05x with a small loss' },
  lenetSettings: 'force_decay 0.001, Constant force, on conv1 and conv2 (authors’ README)',
};

/** Deep Compression's whole pipeline (Tables 2 and 3 of PAPERS.md; ratios vs float32). */
const DEEP_COMPRESSION_FULL: Readonly<Record<string, PaperFigures>> = {
  lenet300: {
    paper: 'Han, Mao, Dally, ICLR 2016',
    source: `${DEEP_COMPRESSION_2016}, Tables 1 and 2 (LeNet-300-100)`,
    sources: {
      baselineError: `${DEEP_COMPRESSION_2016}, Table 1 (LeNet-300-100 Ref, top-1 error)`,
      error: `${DEEP_COMPRESSION_2016}, Table 1 (LeNet-300-100 Compressed, top-1 error)`,
      sizeKB: `${DEEP_COMPRESSION_2016}, Table 1 (parameters, KB)`,
      compressionRatio: `${DEEP_COMPRESSION_2016}, Tables 1 and 2 (total, P+Q+H: 40x)`,
      ratioAfterPruning: `${DEEP_COMPRESSION_2016}, Table 2 (total weights kept: 8%, 12x)`,
      ratioAfterQuantization: `${DEEP_COMPRESSION_2016}, Table 2 (total, P+Q: 3.1%, 32x)`,
      layers: `${DEEP_COMPRESSION_2016}, Table 2 (per layer)`,
    },
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
    source: `${DEEP_COMPRESSION_2016}, Tables 1 and 3 (LeNet-5)`,
    sources: {
      baselineError: `${DEEP_COMPRESSION_2016}, Table 1 (LeNet-5 Ref, top-1 error)`,
      error: `${DEEP_COMPRESSION_2016}, Table 1 (LeNet-5 Compressed, top-1 error)`,
      sizeKB: `${DEEP_COMPRESSION_2016}, Table 1 (parameters, KB)`,
      compressionRatio: `${DEEP_COMPRESSION_2016}, Tables 1 and 3 (total, P+Q+H: 39x)`,
      ratioAfterPruning: `${DEEP_COMPRESSION_2016}, Table 3 (total weights kept: 8%, 12x)`,
      ratioAfterQuantization: `${DEEP_COMPRESSION_2016}, Table 3 (total, P+Q: 3.05%, 33x)`,
      layers: `${DEEP_COMPRESSION_2016}, Table 3 (per layer)`,
    },
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
  sources: {
    alexNet: 'Park, Ahn, Yoo, CVPR 2017, the AlexNet results (as PAPERS.md records them)',
    weightImportance: 'Park, Ahn, Yoo, CVPR 2017, section 3 (importance of a weight: its square)',
    activations: 'Park, Ahn, Yoo, CVPR 2017, section 3 (log-scale activation quantization)',
  },
  alexNet: 'within 1 point of float top-1 at (weight, activation) bits (3, 6) and (4, 4)',
  weightImportance: 'w^2',
  activations: 'log scale',
};

const TTQ: PaperFigures = {
  paper: 'Zhu, Han, Mao, Dally, ICLR 2017 (arXiv 1612.01064)',
  source:
    "PAPERS.md (Quantization); ALGORITHMS.md section 4 (the authors' code and README); the paper has no MNIST experiment",
  sources: {
    weightBits: 'Zhu et al., ICLR 2017, abstract (ternary values, 2-bit weights)',
    compression: 'Zhu et al., ICLR 2017, abstract ("nearly 16x smaller")',
    threshold: "the authors' code (czhu95/ternarynet, ternary.py: t = 0.05)",
    firstAndLastLayer: "the authors' code (conv0 and the last fc stay full precision)",
    cifar10PointsAboveFloat: 'Zhu et al., ICLR 2017, abstract (ResNet-32/44/56 on CIFAR-10)',
    cifar10ResNet20Error: "the authors' README (czhu95/ternarynet: 8.87% vs 8.23%)",
    alexnetTop1Error: "the authors' README (czhu95/ternarynet: 42.5% vs 42.8%)",
  },
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
  source: `${XNOR_ECCV}; Tang et al. as ALGORITHMS.md section 7 records them; neither paper has an MNIST experiment`,
  sources: {
    weightBits: `${XNOR_ECCV}, section 3.1 (binary weights)`,
    activationBits: `${XNOR_ECCV}, section 3.2 (binary inputs)`,
    memorySaving: `${XNOR_ECCV}, abstract`,
    operationSaving: `${XNOR_ECCV}, abstract (in high-precision operations)`,
    alexNetImageNet: `${XNOR_ECCV}, Table 1 (ImageNet, AlexNet, top-1 / top-5 %; recalled, not re-read here)`,
    cifar10Error: `${XNOR_ECCV}, section 4, as ALGORITHMS.md section 6 records it ([paper]; not re-read here)`,
    firstAndLastLayer: `${XNOR_ECCV}, section 4.1`,
    tangImageNet:
      'Tang, Hua, Wang, AAAI 2017, the ImageNet comparison with XNOR-Net, as ALGORITHMS.md section 7 records it ([secondary]; table number not checked)',
  },
  weightBits: 1,
  activationBits: 1,
  memorySaving: '32x for binary weights',
  operationSaving: '58x fewer high-precision operations',
  // The ECCV text: binary-weight AlexNet matches float (arXiv v1's abstract said 2.9 points below).
  alexNetImageNet: {
    float: { top1: 56.6, top5: 80.2 },
    binaryWeights: { top1: 56.8, top5: 79.4 },
    xnor: { top1: 44.2, top5: 69.2 },
  },
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
  sources: {
    weightBits: 'Courbariaux, Bengio, David, NIPS 2015, section 2 (binary weights)',
    mnistError:
      'Courbariaux, Bengio, David, NIPS 2015, Table 2 (permutation-invariant MNIST, deterministic BinaryConnect: 1.29%; stochastic: 1.18%)',
    binaryNetMnistError:
      'Courbariaux, Hubara, Soudry, El-Yaniv, Bengio 2016 (BinaryNet, arXiv 1602.02830), Table 1 (MNIST, Theano: 0.96%)',
  },
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
