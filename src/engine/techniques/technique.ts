import type { DigitSplit } from '../data/digits.ts';
import type { LayerGraph } from '../model/graph.ts';
import type { FineTuneOptions } from '../train/finetune.ts';
import type { TrainResult } from '../train/train.ts';

/**
 * The parameters a technique declares, once: the page draws its controls from them, the recipe
 * codec parses, validates and canonicalizes them, the CLI documents them.
 */
interface BaseParamSpec {
  readonly name: string;
  readonly label: string;
  readonly description: string;
}

/** A real number on a grid: values are rounded to a multiple of `step`. */
export interface NumberParamSpec extends BaseParamSpec {
  readonly type: 'number';
  readonly min: number;
  readonly max: number;
  readonly step: number;
  readonly default: number;
  /** Show as a percentage in controls (fractions of weights). */
  readonly percent?: boolean;
  /** Slider on a log scale (learning rates). */
  readonly log?: boolean;
}

export interface IntegerParamSpec extends BaseParamSpec {
  readonly type: 'integer';
  readonly min: number;
  readonly max: number;
  readonly default: number;
}

export interface BooleanParamSpec extends BaseParamSpec {
  readonly type: 'boolean';
  readonly default: boolean;
}

export interface ChoiceParamSpec extends BaseParamSpec {
  readonly type: 'choice';
  readonly options: readonly { readonly value: string; readonly label: string }[];
  readonly default: string;
}

/**
 * One number per conv and dense layer (per-layer densities, bits, quality factors). Written
 * `conv1:0.66|fc1:0.08|*:0.1`, where `*` is the value of every layer not named.
 */
export interface PerLayerParamSpec extends BaseParamSpec {
  readonly type: 'perLayer';
  readonly min: number;
  readonly max: number;
  readonly step: number;
  readonly default: PerLayerValue;
  readonly percent?: boolean;
}

export type ParamSpec =
  NumberParamSpec | IntegerParamSpec | BooleanParamSpec | ChoiceParamSpec | PerLayerParamSpec;

/** The layer-by-layer values of a per-layer parameter; "*" holds the value for the rest. */
export type PerLayerValue = Readonly<Record<string, number>>;

export type ParamValue = number | boolean | string | PerLayerValue;
export type TechniqueParams = Readonly<Record<string, ParamValue>>;

export type TechniqueFamily = 'prune' | 'train' | 'quantize' | 'decompose' | 'encode';

/** Progress inside one step: a fraction, and for training the epoch, batch, loss and accuracy. */
export interface StepProgress {
  readonly fraction: number;
  readonly phase?: string;
  readonly epoch?: number;
  readonly epochs?: number;
  readonly batch?: number;
  readonly batches?: number;
  readonly loss?: number;
  readonly accuracy?: number;
}

/** Fine-tuning as a technique asks for it; the lab picks the backend and reports progress. */
export type TrainRequest = Omit<FineTuneOptions, 'seed' | 'signal' | 'onBatch' | 'onEpoch'> & {
  /** Names this training in progress reports, e.g. "retrain round 2". */
  readonly phase?: string;
  /** The part of the step's progress bar this training fills (default all of it). */
  readonly progressSpan?: readonly [number, number];
};

export interface TechniqueContext {
  /** The recipe's seed, for techniques that draw random numbers or train. */
  readonly seed: number;
  readonly signal?: AbortSignal;
  /** The 8,000 training digits. */
  trainDigits(): Promise<DigitSplit>;
  /**
   * Accuracy of `graph` on held-out digits that steps may look at without touching the test
   * split (the last 2,000 training digits), for sensitivity analysis and automatic choices.
   */
  validationAccuracy(graph: LayerGraph): Promise<number>;
  /** Fine-tunes `graph` in place through the shared seeded loop, with progress and cancel. */
  train(graph: LayerGraph, request: TrainRequest): Promise<TrainResult>;
  progress(progress: StepProgress): void;
}

/**
 * What a step may report besides the graph it leaves, for the page and the CLI (plain JSON
 * data): training curves, group norms, sensitivity curves, layer shapes before and after.
 */
export type StepReport = Readonly<Record<string, unknown>>;

/**
 * A technique's declaration (catalog.ts): what the page, the link codec and the CLI need to
 * know of it, as plain data.
 */
export interface TechniqueSpec {
  /** Stable name used in recipes and URLs, e.g. "prune". */
  readonly id: string;
  readonly family: TechniqueFamily;
  readonly label: string;
  readonly description: string;
  readonly params: readonly ParamSpec[];
  /**
   * Parameter values at which the technique changes nothing (pruning 0%). A step there is
   * dropped, so "no compression" has one canonical recipe and the baseline's numbers are reused.
   */
  readonly identity?: TechniqueParams;
  /** Whether the step fine-tunes (the page shows progress and a time estimate). */
  readonly trains?: boolean;
}

/**
 * Every compression technique sits behind this interface: its declaration plus the code that
 * applies it. Pruning, quantization and decomposition families add a catalog entry and a
 * registry entry and nothing else changes.
 */
export interface Technique extends TechniqueSpec {
  /** Transforms `graph` in place. Params are already validated; per-layer names are checked. */
  apply(
    graph: LayerGraph,
    params: TechniqueParams,
    context: TechniqueContext,
  ): Promise<StepReport | void> | StepReport | void;
}

// Typed readers for a technique's own (already validated) parameters.
export const numberParam = (params: TechniqueParams, name: string) => params[name] as number;
export const booleanParam = (params: TechniqueParams, name: string) => params[name] as boolean;
export const choiceParam = <T extends string = string>(params: TechniqueParams, name: string) =>
  params[name] as T;
export const perLayerParam = (params: TechniqueParams, name: string) =>
  params[name] as PerLayerValue;

/** The value a per-layer parameter gives `layer`: its own entry, else "*". */
export function valueForLayer(value: PerLayerValue, layer: string): number | undefined {
  return value[layer] ?? value['*'];
}
