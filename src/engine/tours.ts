/**
 * Guided tours for a class: each step is a recipe the lab runs live, a few sentences on what
 * changed, the numbers to look at, and what the paper reports beside ours. A step is a link,
 * `#tour=<id>&step=<n>` (see recipe/share.ts). Tfjs-free: the page, the worker and tests read it.
 *
 * The recipes are the presets' own steps (techniques/presets.ts, expanded for the tour's model),
 * cut where each stage of the paper ends; tours.test.ts checks that they stay so.
 */
import { paperFigures } from './papers.ts';
import { RecipeError } from './recipe/errors.ts';
import {
  DEFAULT_SEED,
  parseSteps,
  validateModel,
  type Recipe,
  type RecipeVersion,
} from './recipe/recipe.ts';
import type { Stage } from './techniques/quantize/stages.ts';

/** The live numbers a step can point at; the panel highlights them. */
export type TourMetric = 'accuracy' | 'size' | 'ratio' | 'latency' | 'stages';

/** One line of what the paper reports, shown beside our live numbers. */
export interface PaperLine {
  readonly label: string;
  readonly value: string;
}

export interface TourStep {
  readonly title: string;
  readonly model: string;
  /** The recipe's steps as link text (empty: the float model itself). */
  readonly steps: string;
  /** What this step changes and what to look for, a few sentences a paragraph. */
  readonly explanation: readonly string[];
  readonly highlight: readonly TourMetric[];
  readonly paper: readonly PaperLine[];
}

export interface Tour {
  readonly id: string;
  readonly title: string;
  readonly summary: string;
  readonly paper: string;
  readonly steps: readonly TourStep[];
  /** The paper's ratio after each stage (Deep Compression's Figure 1), where the tour has one. */
  readonly paperStages?: Readonly<Partial<Record<Stage, number>>>;
}

const percent = (fraction: number) => `${(fraction * 100).toFixed(2)}%`;
const num = (value: unknown) => Number(value);

const DC = paperFigures('deep-compression', 'lenet300');
const DC_PRUNING = paperFigures('deep-compression-pruning', 'lenet300');
const XNOR = paperFigures('xnor', 'lenet5');
const BC = paperFigures('binaryconnect', 'lenet5');
const XNOR_CIFAR = XNOR.cifar10Error as { binaryWeights: number; xnor: number };
type Top = { top1: number; top5: number };
const XNOR_ALEXNET = XNOR.alexNetImageNet as { float: Top; binaryWeights: Top; xnor: Top };

// The deep-compression preset for lenet300, cut after each of the paper's three stages.
const DC_PRUNE =
  'iterative-prune(density=fc1:0.077|fc2:0.09|fc3:0.26,rounds=4,epochs=5,lr=0.001,decay=0.8);' +
  'finetune(epochs=10,lr=0.0003,decay=0.85,augment=false);index-bits(conv=8,dense=5)';
const DC_SHARE = `${DC_PRUNE};kmeans(bits=fc1:2|fc2:4|fc3:4,init=linear,biases=true);finetune(epochs=2,lr=0.0003,augment=false)`;
const DC_HUFFMAN = `${DC_SHARE};huffman()`;

const DEEP_COMPRESSION_TOUR: Tour = {
  id: 'deep-compression',
  title: 'Deep Compression in three steps',
  summary:
    'Han, Mao and Dally shrink LeNet-300-100 about 40 times without losing accuracy: prune and retrain, share weights, Huffman-code. Each step adds one stage and shows the ratio it reaches, as the paper’s Figure 1.',
  paper: String(DC.paper),
  paperStages: {
    pruning: num(DC.ratioAfterPruning),
    quantization: num(DC.ratioAfterQuantization),
    huffman: num(DC.compressionRatio),
  },
  steps: [
    {
      title: 'Prune and retrain',
      model: 'lenet300',
      steps: DC_PRUNE,
      explanation: [
        'Most weights of a trained network are tiny. Pruning sets the smallest ones to zero, layer by layer, down to the paper’s densities: 7.7% of fc1, 9% of fc2 and 26% of fc3 are kept. It happens in four rounds, and after each the network retrains with the zeros held, so the remaining weights take over the work.',
        'Only the kept weights are stored, each with a 5-bit relative index that says how far it is from the previous one. Look at the ratio: the paper reaches 12x at this stage. Retraining takes a few minutes on a laptop; the progress bar below shows it.',
      ],
      highlight: ['ratio', 'accuracy', 'stages'],
      paper: [
        { label: 'Ratio after pruning', value: `${num(DC.ratioAfterPruning)}x` },
        {
          label: 'Error before → after (all of MNIST)',
          value: `${percent(num(DC_PRUNING.baselineError))} → ${percent(num(DC_PRUNING.error))}`,
        },
        { label: 'Weights kept', value: percent(num(DC_PRUNING.density)) },
      ],
    },
    {
      title: 'Share weights',
      model: 'lenet300',
      steps: DC_SHARE,
      explanation: [
        'The kept weights of each layer are clustered with k-means; every weight is replaced by its cluster’s centre and stored as a short index into the layer’s codebook: 2 bits in fc1 (four shared values), 4 bits in fc2 and fc3, instead of 32.',
        'Then the centres themselves are fine-tuned: the gradients of all weights of a cluster are summed into its centre, with the indices and the zeros held. The pruned network from step 1 comes from the lab’s cache, so only this stage runs. The paper reaches 32x here.',
      ],
      highlight: ['ratio', 'accuracy', 'stages'],
      paper: [
        { label: 'Ratio after quantization', value: `${num(DC.ratioAfterQuantization)}x` },
        { label: 'Bits per shared weight (paper)', value: '6' },
      ],
    },
    {
      title: 'Huffman code',
      model: 'lenet300',
      steps: DC_HUFFMAN,
      explanation: [
        'Some codebook indices and some gaps between kept weights are far more frequent than others. Huffman coding gives the frequent ones shorter codes, without changing a single weight: accuracy stays exactly where step 2 left it.',
        'The three stages together are Deep Compression. The paper reports 40x for LeNet-300-100 (1070 KB to 27 KB); the table compares our ratio after each stage with its Figure 1. Here Huffman adds less than in the paper: the gaps between kept weights are close to random, about 5 bits of information each, and fc1’s 2-bit indices leave little to squeeze (the documentation’s Quantization page has the numbers).',
      ],
      highlight: ['ratio', 'size', 'stages'],
      paper: [
        { label: 'Ratio after Huffman', value: `${num(DC.compressionRatio)}x` },
        {
          label: 'Size',
          value: `${(DC.sizeKB as { before: number }).before} KB → ${(DC.sizeKB as { after: number }).after} KB`,
        },
        {
          label: 'Error before → after (all of MNIST)',
          value: `${percent(num(DC.baselineError))} → ${percent(num(DC.error))}`,
        },
      ],
    },
  ],
};

const XNOR_TRAINING = 'epochs=3,lr=0.001,decay=0.7,augment=false';

const XNOR_TOUR: Tour = {
  id: 'xnor-net',
  title: 'XNOR-Net: from float to bits',
  summary:
    'From 32-bit floats to single bits on LeNet-5: binary weights (BinaryConnect), XNOR-Net’s scale alpha per filter, then binary inputs with the scale K, so that products become XNOR and popcount. What each costs in accuracy and saves in size and time.',
  paper: String(XNOR.paper),
  steps: [
    {
      title: 'The float network',
      model: 'lenet5',
      steps: '',
      explanation: [
        'LeNet-5 as trained: every weight a 32-bit float, every product a floating-point multiply. These are the numbers the next steps are measured against: accuracy on the 2,000 test digits, the stored size and the time to classify a batch.',
      ],
      highlight: ['accuracy', 'size', 'latency'],
      paper: [{ label: 'Bits per weight', value: '32' }],
    },
    {
      title: 'BinaryConnect: one bit a weight',
      model: 'lenet5',
      steps: 'binaryconnect(epochs=3,lr=0.0003,decay=0.7)',
      explanation: [
        'BinaryConnect keeps only the sign of each weight, times one scale per layer (the mean |w|). Training goes on with float latent weights: the forward pass uses their signs, the gradient passes straight through, and the latent weights are clipped to [-1, 1]. Every layer is binary here, the first and the last included.',
        'Each weight now takes one bit, so the model shrinks about 30 times. The inputs of each layer stay float, so the products are still float multiplies (of ±scale) and the time hardly changes. Fine-tuning takes a minute or two.',
      ],
      highlight: ['size', 'accuracy'],
      paper: [
        { label: 'Error on MNIST (MLP, all 60,000 digits)', value: percent(num(BC.mnistError)) },
        { label: 'Bits per weight', value: String(num(BC.weightBits)) },
      ],
    },
    {
      title: 'Binary weights with alpha',
      model: 'lenet5',
      steps: `binaryconnect(scale=filter,keepFirst=true,keepLast=true,${XNOR_TRAINING})`,
      explanation: [
        'XNOR-Net’s binary-weight networks give each filter its own scale, alpha = mean |W| of that filter, which approximates the float filter better than one scale for the whole layer. As in the paper, the first and the last layer stay float: they are small and the most sensitive.',
        'Compare with step 2: accuracy should be closer to the float network, and the model larger (two float layers, and one alpha per filter). Inputs are still float.',
      ],
      highlight: ['accuracy', 'size'],
      paper: [
        { label: 'Memory saved by binary weights', value: String(XNOR.memorySaving) },
        {
          // ECCV 2016, Table 1: binary weights match float (arXiv v1's abstract said 2.9 points below).
          label: 'AlexNet top-1 on ImageNet, binary weights vs float',
          value: `${XNOR_ALEXNET.binaryWeights.top1}% vs ${XNOR_ALEXNET.float.top1}%`,
        },
        { label: 'CIFAR-10 error, binary weights', value: percent(XNOR_CIFAR.binaryWeights) },
      ],
    },
    {
      title: 'Binary inputs with K',
      model: 'lenet5',
      steps: `xnor(${XNOR_TRAINING})`,
      explanation: [
        'XNOR-Net binarizes the inputs of conv2 and fc1 too: sign(x) times K, the mean |x| around each position. With both weights and inputs ±1, a dot product is an XNOR of bit-packed words and a popcount, 32 or more products per instruction; a batch norm before each binary layer keeps the signs informative.',
        'Look at the latency: conv2 and fc1 now run on the lab’s XNOR/popcount kernels, measured against the float model in the same window. It says “faster” only when the middle halves of the two sets of timings do not overlap, and “no measurable difference” otherwise. Binary inputs cost some accuracy beyond step 3; the latency box says what they buy in time on this machine.',
      ],
      highlight: ['latency', 'accuracy', 'size'],
      paper: [
        { label: 'High-precision operations saved', value: String(XNOR.operationSaving) },
        { label: 'CIFAR-10 error, XNOR-Net', value: percent(XNOR_CIFAR.xnor) },
        { label: 'First and last layer', value: String(XNOR.firstAndLastLayer) },
      ],
    },
  ],
};

export const TOURS: readonly Tour[] = [DEEP_COMPRESSION_TOUR, XNOR_TOUR];

/** The tour `id`, or a RecipeError naming the known ones. */
export function getTour(id: string): Tour {
  const tour = TOURS.find((t) => t.id === id);
  if (!tour) {
    throw new RecipeError(
      `there is no tour "${id.slice(0, 40)}" (known: ${TOURS.map((t) => t.id).join(', ')})`,
    );
  }
  return tour;
}

/** Step `step` (1-based) of `tour`, or a RecipeError saying which steps it has. */
export function getTourStep(tour: Tour, step: number): TourStep {
  const found = Number.isInteger(step) ? tour.steps[step - 1] : undefined;
  if (!found) {
    throw new RecipeError(
      `the tour "${tour.id}" has steps 1 to ${tour.steps.length} (got ${String(step).slice(0, 20)})`,
    );
  }
  return found;
}

/**
 * The recipe version of every tour step: the tours were written, and their links shared, with
 * version 1's numbers (golden-links.json holds them), which they keep.
 */
const TOUR_RECIPE_VERSION: RecipeVersion = 1;

/** The recipe a tour step runs. */
export function tourStepRecipe(step: TourStep): Recipe {
  return {
    model: validateModel(step.model),
    seed: DEFAULT_SEED,
    steps: parseSteps(step.steps),
    version: TOUR_RECIPE_VERSION,
  };
}
