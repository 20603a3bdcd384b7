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
  source:
    'PAPERS.md: whole-network speedups on a phone of about 2.7x (AlexNet) to 3.7x (VGG-S); the top-5 losses are as recalled, not checked against the paper',
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
  if (preset === 'tucker2') return KIM_TUCKER2;
  if (preset === 'svd') return SVD_FC;
  if (preset === 'force-tucker2') return FORCE;
  return { paper: 'none', source: `no paper figures for preset "${preset}"` };
}
