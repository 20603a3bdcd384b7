/**
 * What the page's state holds about sweeps and imported runs (React-free, tfjs-free); the
 * actions that change it are in sweep.ts.
 */

/** Where a run in the history came from, when not from the editor. */
export type RunOrigin =
  | { readonly kind: 'sweep'; readonly sweepId: number; readonly value: number }
  | { readonly kind: 'import'; readonly file: string; readonly line: number };

export interface SweepPoint {
  readonly value: number;
  readonly accuracy: number;
  readonly sizeBytes: number;
  readonly recipeText: string;
}

/** The sweep the curve shows: one run in this page, or one read from a JSONL file. */
export interface SweepState {
  readonly id: number;
  readonly phase: 'running' | 'done' | 'cancelled' | 'error' | 'imported';
  /** What was swept, e.g. "step 1 prune fraction". */
  readonly label: string;
  readonly model: string;
  readonly values: readonly number[];
  readonly points: readonly SweepPoint[];
  /** Why it stopped, for 'cancelled' and 'error'. */
  readonly message?: string;
  /** Show values as percentages (the parameter is a fraction). */
  readonly percent?: boolean;
}

/** What an import of JSONL files loaded, and which lines it could not read and why. */
export interface ImportReport {
  readonly files: readonly string[];
  readonly loaded: number;
  readonly broken: readonly {
    readonly file: string;
    readonly line: number;
    readonly reason: string;
  }[];
  /** Good lines left out because the history was full. */
  readonly skipped: number;
}
