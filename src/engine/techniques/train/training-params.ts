/**
 * The fine-tuning controls every training technique shares (finetune, iterative pruning, SSL,
 * DSD), declared once so they read and validate alike everywhere.
 */
import {
  OPTIMIZERS,
  TRAINABLE_LAYERS,
  type OptimizerName,
  type TrainableLayers,
} from '../../train/options.ts';
import {
  booleanParam,
  choiceParam,
  numberParam,
  type ParamSpec,
  type TechniqueParams,
  type TrainRequest,
} from '../technique.ts';

export interface TrainingDefaults {
  readonly epochs: number;
  readonly lr: number;
  readonly optimizer?: OptimizerName;
}

export function trainingParams(defaults: TrainingDefaults, minEpochs = 0): ParamSpec[] {
  return [
    {
      type: 'integer',
      name: 'epochs',
      label: 'Epochs',
      min: minEpochs,
      max: 60,
      default: defaults.epochs,
      description: 'passes over the 8,000 training digits',
    },
    {
      type: 'number',
      name: 'lr',
      label: 'Learning rate',
      min: 0.000001,
      max: 0.1,
      step: 0.000001,
      log: true,
      default: defaults.lr,
      description: 'step size of the optimizer (Han et al. retrain at 1/10 of the original)',
    },
    {
      type: 'number',
      name: 'decay',
      label: 'Rate decay',
      min: 0.1,
      max: 1,
      step: 0.01,
      default: 1,
      description: 'learning rate multiplier after each epoch',
    },
    {
      type: 'choice',
      name: 'optimizer',
      label: 'Optimizer',
      options: OPTIMIZERS.map((o) => ({
        value: o,
        label: o === 'momentum' ? 'SGD + momentum 0.9' : o === 'sgd' ? 'SGD' : 'Adam',
      })),
      default: defaults.optimizer ?? 'adam',
      description: 'how gradients update the weights',
    },
    {
      type: 'integer',
      name: 'batch',
      label: 'Batch size',
      min: 8,
      max: 512,
      default: 64,
      description: 'digits per update',
    },
    {
      type: 'integer',
      name: 'batches',
      label: 'Batches per epoch',
      min: 0,
      max: 1000,
      default: 0,
      description: 'stop each epoch after this many batches (0: the whole training set)',
    },
    {
      type: 'number',
      name: 'dropout',
      label: 'Dropout',
      min: 0,
      max: 0.9,
      step: 0.01,
      default: 0,
      description:
        'dropout on the inputs of hidden dense layers, scaled by sqrt(density) per layer',
    },
    {
      type: 'number',
      name: 'l2',
      label: 'L2 weight decay',
      min: 0,
      max: 0.01,
      step: 0.00001,
      default: 0,
      description: 'adds l2/2 times the sum of squared kernel weights to the loss',
    },
    {
      type: 'choice',
      name: 'layers',
      label: 'Trained layers',
      options: TRAINABLE_LAYERS.map((l) => ({
        value: l,
        label: l === 'all' ? 'all' : `${l} only`,
      })),
      default: 'all',
      description: 'which layers learn; the others stay fixed',
    },
    {
      type: 'boolean',
      name: 'augment',
      label: 'Shift augmentation',
      default: true,
      description: 'random shifts of up to 2 pixels, as the baselines were trained',
    },
  ];
}

/** The training request a step's (validated) training parameters describe. */
export function trainRequest(params: TechniqueParams): TrainRequest {
  const batches = numberParam(params, 'batches');
  return {
    epochs: numberParam(params, 'epochs'),
    learningRate: numberParam(params, 'lr'),
    learningRateDecay: numberParam(params, 'decay'),
    optimizer: choiceParam<OptimizerName>(params, 'optimizer'),
    batchSize: numberParam(params, 'batch'),
    maxBatchesPerEpoch: batches > 0 ? batches : undefined,
    dropout: numberParam(params, 'dropout'),
    l2: numberParam(params, 'l2'),
    trainable: choiceParam<TrainableLayers>(params, 'layers'),
    augment: booleanParam(params, 'augment') ? { maxShift: 2 } : undefined,
  };
}
