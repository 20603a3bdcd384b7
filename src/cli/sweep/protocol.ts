/** Messages between `complab sweep` and its worker threads (structured-clone safe). */
import type { DataSetId } from '../../engine/data/datasets.ts';
import type { NodeBackendName } from '../../engine/node/backend-names.ts';
import type { Recipe } from '../../engine/recipe/recipe.ts';

export interface SweepWorkerData {
  readonly backend: NodeBackendName;
  /** The prefix cache folder every worker shares, so a fine-tuned prefix is trained once. */
  readonly cache: string;
  /** The model every recipe uses. */
  readonly model: string;
  /** The data set every recipe runs on (the warm-up measures its baseline). */
  readonly data: DataSetId;
  /** Load the model and measure its baseline before saying ready (all workers but the first). */
  readonly warmUp: boolean;
}

export type ToSweepWorker =
  | { readonly kind: 'run'; readonly index: number; readonly recipe: Recipe }
  /** Abort the run in flight (it answers 'cancelled' within one batch or chunk). */
  | { readonly kind: 'cancel' }
  | { readonly kind: 'stop' };

export type FromSweepWorker =
  | { readonly kind: 'ready' }
  /** `json` is exactly what `complab eval --json` prints for this recipe. */
  | { readonly kind: 'done'; readonly index: number; readonly json: Record<string, unknown> }
  | { readonly kind: 'cancelled'; readonly index: number }
  | {
      readonly kind: 'failed';
      readonly index: number;
      readonly message: string;
      /** A problem with the input (a step the model cannot take), not a bug. */
      readonly userError: boolean;
    };
