import type { LayerGraph } from '../model/graph.ts';

/** A numeric parameter of a technique, declared once: the UI draws a slider from it, the
 * recipe codec validates and canonicalizes it, the CLI documents it. */
export interface NumberParamSpec {
  readonly name: string;
  readonly label: string;
  readonly min: number;
  readonly max: number;
  /** Values are rounded to a multiple of `step`, so a URL and a slider agree to the digit. */
  readonly step: number;
  readonly default: number;
  readonly description: string;
}

export type TechniqueParams = Record<string, number>;

export interface TechniqueContext {
  /** The recipe's seed, for techniques that draw random numbers. */
  readonly seed: number;
  readonly signal?: AbortSignal;
}

/**
 * Every compression technique sits behind this interface: pruning, quantization and
 * decomposition families add entries to the registry and nothing else changes.
 */
export interface Technique {
  /** Stable name used in recipes and URLs, e.g. "prune". */
  readonly id: string;
  readonly family: 'prune' | 'quantize' | 'decompose';
  readonly label: string;
  readonly description: string;
  readonly params: readonly NumberParamSpec[];
  /**
   * Parameter values at which the technique changes nothing (pruning 0%). A control moved
   * there drops the step, so "no compression" has one canonical recipe, and the lab reuses
   * the baseline's measurements for it.
   */
  readonly identity?: TechniqueParams;
  /** Transforms `graph` in place (weights and masks). Params are already validated. */
  apply(
    graph: LayerGraph,
    params: TechniqueParams,
    context: TechniqueContext,
  ): Promise<void> | void;
}
