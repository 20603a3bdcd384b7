/**
 * What the lab offers, as plain data: every technique's name, family, description and
 * declared parameters, with no tfjs in sight. The recipe codec, the share link's table, the
 * page's controls and the CLI's help read this catalog; the engine's registry
 * (registry.ts) pairs each entry with the code that applies it.
 */
import { layerChoiceParams } from './quantize/binary-common.ts';
import { trainingParams } from './train/training-params.ts';
import type { TechniqueSpec } from './technique.ts';
import { QUANTIZE_SPECS } from './quantize/specs.ts';

export const TECHNIQUE_SPECS: readonly TechniqueSpec[] = [
  {
    id: 'prune',
    family: 'prune',
    label: 'Magnitude pruning (global)',
    description:
      'Zeroes the given fraction of all conv and dense kernel weights, smallest magnitudes first, across the whole network (Han et al. 2015).',
    params: [
      {
        type: 'number',
        name: 'fraction',
        label: 'Pruned weights',
        min: 0,
        max: 0.99,
        step: 0.01,
        percent: true,
        default: 0.5,
        description: 'fraction of kernel weights set to zero, 0 to 0.99',
      },
    ],
    identity: { fraction: 0 },
  },
  {
    id: 'prune-std',
    family: 'prune',
    label: 'Magnitude pruning (quality x std)',
    description:
      "Deep Compression's rule: each layer drops the weights whose magnitude is at most its quality parameter times the standard deviation of its weights (Han et al. 2015).",
    params: [
      {
        type: 'perLayer',
        name: 'quality',
        label: 'Quality (x std)',
        min: 0,
        max: 5,
        step: 0.01,
        default: { '*': 1 },
        description: 'per layer: the threshold in standard deviations of its weights (0 keeps all)',
      },
    ],
    identity: { quality: { '*': 0 } },
  },
  {
    id: 'prune-density',
    family: 'prune',
    label: 'Magnitude pruning (per-layer density)',
    description:
      'Each conv and dense layer keeps exactly the given fraction of its weights, the largest magnitudes (Deep Compression, Tables 2 and 3).',
    params: [
      {
        type: 'perLayer',
        name: 'density',
        label: 'Weights kept',
        min: 0.001,
        max: 1,
        step: 0.001,
        percent: true,
        default: { '*': 0.1 },
        description: 'per layer: the fraction of its weights kept, e.g. conv1:0.66|*:0.08',
      },
    ],
    identity: { density: { '*': 1 } },
  },
  {
    id: 'prune-auto',
    family: 'prune',
    label: 'Pruning by sensitivity',
    description:
      'Measures each layer’s accuracy-vs-density curve (one layer pruned at a time, on 2,000 training digits held apart from the test set) and prunes every layer to the lowest density within the accepted drop.',
    params: [
      {
        type: 'number',
        name: 'drop',
        label: 'Accepted drop per layer',
        min: 0,
        max: 20,
        step: 0.05,
        default: 0.5,
        description: 'accuracy points each layer may cost on its own (one-shot, before retraining)',
      },
    ],
  },
  {
    id: 'iterative-prune',
    family: 'prune',
    label: 'Iterative prune and retrain',
    description:
      'Rounds of magnitude pruning towards per-layer target densities, each followed by retraining with the masks held (Han et al. 2015).',
    params: [
      {
        type: 'perLayer',
        name: 'density',
        label: 'Target weights kept',
        min: 0.001,
        max: 1,
        step: 0.001,
        percent: true,
        default: { '*': 0.1 },
        description: 'per layer: the fraction of its weights kept after the last round',
      },
      {
        type: 'integer',
        name: 'rounds',
        label: 'Rounds',
        min: 1,
        max: 10,
        default: 3,
        description: 'prune-and-retrain rounds',
      },
      ...trainingParams({ epochs: 2, lr: 0.0001 }),
    ],
    identity: { density: { '*': 1 } },
    trains: true,
  },
  {
    id: 'ssl',
    family: 'prune',
    label: 'Structured sparsity (SSL)',
    description:
      'Fine-tunes with group lasso on whole filters, input channels and filter shapes (Wen et al. 2016), then removes the groups that reached zero: a smaller dense network with a lower measured latency.',
    params: [
      {
        type: 'number',
        name: 'filters',
        label: 'Filter lasso',
        min: 0,
        max: 0.1,
        step: 0.0001,
        default: 0.005,
        description:
          'group lasso weight on whole conv filters (breadth_decay in the authors’ code)',
      },
      {
        type: 'number',
        name: 'channels',
        label: 'Channel lasso',
        min: 0,
        max: 0.1,
        step: 0.0001,
        default: 0.005,
        description: 'group lasso weight on the input channels of conv layers',
      },
      {
        type: 'number',
        name: 'shapes',
        label: 'Shape lasso',
        min: 0,
        max: 0.1,
        step: 0.0001,
        default: 0,
        description: 'group lasso weight on filter shapes, (kh, kw, c) fibres across filters',
      },
      {
        type: 'number',
        name: 'neurons',
        label: 'Neuron lasso',
        min: 0,
        max: 0.1,
        step: 0.0001,
        default: 0,
        description: 'group lasso weight on hidden dense units (rows and columns)',
      },
      {
        type: 'number',
        name: 'threshold',
        label: 'Removal threshold',
        min: 0,
        max: 0.5,
        step: 0.001,
        default: 0.02,
        description: 'a group below this fraction of its layer’s largest group norm is removed',
      },
      ...trainingParams({ epochs: 4, lr: 0.001 }, 1),
    ],
    trains: true,
  },
  {
    id: 'redense',
    family: 'prune',
    label: 'Re-dense (DSD)',
    description:
      'Releases every pruned weight: masks are dropped and the weights restart at zero, so the next fine-tuning step retrains the dense network (Han et al. 2017).',
    params: [],
  },
  {
    id: 'finetune',
    family: 'train',
    label: 'Fine-tune',
    description:
      'Retrains on the 8,000 training digits with every constraint of the steps before it held: pruned weights stay at zero, removed filters stay removed.',
    params: trainingParams({ epochs: 2, lr: 0.0001 }),
    identity: { epochs: 0 },
    trains: true,
  },
  {
    id: 'bn-recalibrate',
    family: 'train',
    label: 'Batch-norm recalibration',
    description:
      'Calibration, not fine-tuning: no weight changes. Sets every batch norm’s moving mean and variance to the statistics of its input over training digits, as the network computes after the steps before it (pruning shifts them). Only for models with batch norm.',
    params: [
      {
        type: 'integer',
        name: 'digits',
        label: 'Training digits',
        min: 250,
        max: 8000,
        default: 2000,
        description: 'how many training digits the statistics are taken over (250 to 8,000)',
      },
    ],
  },
  {
    id: 'svd',
    family: 'decompose',
    label: 'Low-rank SVD (dense layers)',
    description:
      'Replaces a dense layer by two thinner ones holding its truncated SVD (no activation between): r (in + out) weights instead of in x out. The rank is given per layer or the smallest that keeps the chosen share of the squared singular values.',
    params: [
      {
        type: 'perLayer',
        name: 'energy',
        label: 'Energy kept',
        min: 0.01,
        max: 1,
        step: 0.001,
        percent: true,
        default: { '*': 0.9 },
        description:
          'per dense layer: the share of the sum of squared singular values the rank keeps; 100% leaves the layer as it is ("*" skips the output layer)',
      },
      {
        type: 'perLayer',
        name: 'rank',
        label: 'Rank',
        min: 0,
        max: 4096,
        step: 1,
        default: { '*': 0 },
        description:
          'per dense layer: the rank; 0 = chosen by energy kept; at most min(inputs, units)',
      },
    ],
    identity: { energy: { '*': 1 }, rank: { '*': 0 } },
  },
  {
    id: 'tucker2',
    family: 'decompose',
    label: 'Tucker-2 (conv layers)',
    description:
      'Replaces a conv layer by 1x1 (C -> R_in), k x k core (R_in -> R_out, original stride and padding) and 1x1 (R_out -> N) convs from the Tucker-2 decomposition of its kernel over the channel modes; ranks given or chosen by analytic VBMF (Kim et al. 2016).',
    params: [
      {
        type: 'perLayer',
        name: 'rankIn',
        label: 'Input rank',
        min: -1,
        max: 1024,
        step: 1,
        default: { '*': 0 },
        description:
          'per conv layer: rank of the input-channel mode; 0 = auto (VBMF), -1 = all channels ("*" skips layers with 3 or fewer input channels)',
      },
      {
        type: 'perLayer',
        name: 'rankOut',
        label: 'Output rank',
        min: -1,
        max: 1024,
        step: 1,
        default: { '*': 0 },
        description:
          'per conv layer: rank of the output-channel mode; 0 = auto (VBMF), -1 = all channels; both -1 leaves the layer as it is',
      },
    ],
    identity: { rankIn: { '*': -1 }, rankOut: { '*': -1 } },
  },
  {
    id: 'force',
    family: 'decompose',
    label: 'Force regularization',
    description:
      'Fine-tunes with a force that pulls each layer’s filters together (Wen et al. 2017, "Coordinating Filters"), lowering their rank so that a following svd or tucker2 step loses less.',
    params: [
      {
        type: 'perLayer',
        name: 'strength',
        label: 'Force strength',
        min: 0,
        max: 0.1,
        step: 0.000001,
        default: { '*': 0.001 },
        description:
          'per layer: lambda, the force’s weight against the data gradient; 0 leaves the layer free ("*" skips the output layer)',
      },
      {
        type: 'choice',
        name: 'type',
        label: 'Force',
        options: [
          { value: 'constant', label: 'constant (L1-norm force)' },
          { value: 'degradation', label: 'degradation (L2-norm force)' },
        ],
        default: 'constant',
        description: 'how the pull depends on the distance between two filters’ directions',
      },
      ...trainingParams({ epochs: 2, lr: 0.001 }, 1),
    ],
    trains: true,
  },
  {
    id: 'index-bits',
    family: 'encode',
    label: 'Sparse index bits',
    description:
      'Fixes the width of the relative indices of sparse layers, as Deep Compression does (8 bits for conv, 5 for dense); without it the lab picks the smallest width per layer.',
    params: [
      {
        type: 'integer',
        name: 'conv',
        label: 'Conv index bits',
        min: 1,
        max: 16,
        default: 8,
        description: 'bits per relative index in conv layers',
      },
      {
        type: 'integer',
        name: 'dense',
        label: 'Dense index bits',
        min: 1,
        max: 16,
        default: 5,
        description: 'bits per relative index in dense layers',
      },
    ],
  },
  ...QUANTIZE_SPECS,
  {
    id: 'ttq',
    family: 'quantize',
    label: 'Trained ternary quantization (TTQ)',
    description:
      'Each chosen kernel computes with +Wp, 0 or -Wn (threshold t x max|w|), two scales per layer learned with the weights through straight-through gradients; stored as 2 bits a weight plus the scales (Zhu et al. 2017).',
    params: [
      {
        type: 'number',
        name: 'threshold',
        label: 'Threshold t',
        min: 0.01,
        max: 0.5,
        step: 0.01,
        default: 0.05,
        description: 'weights within t x max|w| of zero become 0 (the paper: 0.05)',
      },
      ...layerChoiceParams('ternarizes', false),
      ...trainingParams({ epochs: 2, lr: 0.0003 }),
    ],
    trains: true,
  },
  {
    id: 'binaryconnect',
    family: 'quantize',
    label: 'BinaryConnect',
    description:
      'Each chosen kernel computes with sign(w) times one scale (mean |w|), trained through the straight-through estimator with the latent weights clipped to [-1, 1]; inputs stay float; 1 bit a weight (Courbariaux et al. 2015). With one scale per filter it is XNOR-Net’s binary-weight network (Rastegari et al. 2016).',
    params: [
      ...layerChoiceParams('binarizes', false),
      {
        type: 'choice',
        name: 'scale',
        label: 'Scale',
        options: [
          { value: 'layer', label: 'one per layer (BinaryConnect)' },
          { value: 'filter', label: 'alpha per filter (XNOR-Net BWN)' },
        ],
        default: 'layer',
        description:
          'one mean |w| for the whole kernel, or XNOR-Net’s alpha = mean |W| per output filter with its gradient',
      },
      ...trainingParams({ epochs: 2, lr: 0.0003 }),
    ],
    trains: true,
  },
  {
    id: 'xnor',
    family: 'quantize',
    label: 'XNOR-Net (binary weights and inputs)',
    description:
      'Chosen conv and dense layers become binary layers: inputs sign(x) with the scale K, weights sign(W) times alpha = mean |W| per filter, run on the XNOR/popcount kernels; a batch norm before each; Tang et al.’s PReLU, scale layer, multiple binarizations, bipolar regularizer and low learning rate as toggles (Rastegari et al. 2016; Tang et al. 2017).',
    params: [
      ...layerChoiceParams('binarizes', true),
      {
        type: 'boolean',
        name: 'batchNorm',
        label: 'Batch norm before',
        default: true,
        description:
          'a batch norm before each binary layer, started at its input statistics (XNOR-Net’s BN -> BinActiv -> BinConv)',
      },
      {
        type: 'integer',
        name: 'activations',
        label: 'Activation binarizations',
        min: 1,
        max: 3,
        default: 1,
        description: 'residual sign terms per input (Tang et al.: 2; XNOR-Net: 1)',
      },
      {
        type: 'boolean',
        name: 'prelu',
        label: 'PReLU',
        default: false,
        description: 'PReLU instead of ReLU after the binary layers (Tang et al.)',
      },
      {
        type: 'boolean',
        name: 'scale',
        label: 'Scale before softmax',
        default: false,
        description: 'a learned per-class scale before the softmax (Tang et al.)',
      },
      {
        type: 'number',
        name: 'bipolar',
        label: 'Bipolar regularizer',
        min: 0,
        max: 0.001,
        step: 0.000001,
        default: 0,
        description:
          'lambda of lambda x sum(1 - w^2), pulling binary layers’ weights to +-1 (Tang et al.)',
      },
      {
        type: 'boolean',
        name: 'lowLr',
        label: 'Low learning rate',
        default: false,
        description: 'train at 1e-4 whatever the learning rate says (Tang et al.)',
      },
      ...trainingParams({ epochs: 2, lr: 0.001 }),
    ],
    trains: true,
  },
];

const byId = new Map(TECHNIQUE_SPECS.map((t) => [t.id, t]));

export function findTechniqueSpec(id: string): TechniqueSpec | undefined {
  return byId.get(id);
}

/** A declaration by id; only for ids the catalog holds (the registry checks names first). */
export function techniqueSpec(id: string): TechniqueSpec {
  const spec = byId.get(id);
  if (!spec) throw new Error(`no technique "${id}" in the catalog`);
  return spec;
}
