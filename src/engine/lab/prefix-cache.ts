/**
 * Every step's result under its recipe prefix (model fingerprint, the backend that trained it,
 * the steps so far), in memory (least recently used dropped first) and, for what is costly to
 * recompute, in an optional persistent store, so moving a control of a later step never re-runs
 * the fine-tuning before it.
 *
 * A step's graph does not depend on the recipe's version, only the file written from it does
 * (recipe/file-version.ts): an entry is keyed by its prefix's version 1 text, so a link of
 * either version and one edited from it share entries (entries persisted before version 2
 * included), and keeps its file's size per file version.
 */
import { z } from 'zod';
import { BACKENDS, type BackendName } from '../backend-names.ts';
import { encodeModel } from '../encode/model-file.ts';
import type { PredictionConfidence } from '../measure/accuracy.ts';
import type { LayerGraph } from '../model/graph.ts';
import { deserializeGraph, serializeGraph } from '../model/serialize.ts';
import { FILE_VERSION_OF_RECIPE, type WrittenFileVersion } from '../recipe/file-version.ts';
import type { Recipe } from '../recipe/recipe.ts';
import { formatRecipe } from '../recipe/share.ts';
import type { BaseModel } from './loading.ts';
import type { StepResult } from './run-types.ts';

/** A persistent home for prefix results (IndexedDB in the page, a folder for the CLI). */
export interface PrefixStore {
  get(key: string): Promise<Uint8Array | undefined>;
  set(key: string, bytes: Uint8Array): Promise<void>;
}

export interface PrefixEntry {
  readonly graph: LayerGraph;
  /** The step's result but what depends on the recipe's version (its text, its file's size). */
  readonly step: Omit<
    StepResult,
    'cached' | 'index' | 'accuracy' | 'correct' | 'recipeText' | 'sizeBytes'
  >;
  /** The length of the graph's compact file, per file version, as far as it was asked for. */
  readonly sizes: Map<WrittenFileVersion, number>;
  /**
   * Test accuracy after this step, per evaluating backend (they may differ by a digit), with
   * each image's class and confidence where this session evaluated it (the persistent store
   * keeps the counts).
   */
  readonly accuracy: Partial<
    Record<
      BackendName,
      {
        accuracy: number;
        correct: number;
        predicted?: Uint16Array;
        confidence?: PredictionConfidence;
      }
    >
  >;
  /** Backend that trained this prefix, or null when no step so far trained. */
  readonly trainedOn: BackendName | null;
  /** Whether the persistent store keeps it: the step trained or took long to compute. */
  readonly persist: boolean;
}

/** Steps that took at least this long to compute are kept in the persistent store. */
export const PERSIST_AFTER_MS = 1000;

/** Prefix results kept in memory when the lab's options do not say. */
const MEMORY_ENTRIES = 48;

/**
 * What a stored prefix keeps beside its graph; checked when read back, like the graph. Its
 * recipeText and sizeBytes are those of version 1 (file version 3), as before version 2.
 */
const storedEntrySchema = z.object({
  step: z.object({
    technique: z.string(),
    recipeText: z.string(),
    params: z.number().int().nonnegative(),
    nonzeroParams: z.number().int().nonnegative(),
    sizeBytes: z.number().int().positive(),
    elapsedMs: z.number().nonnegative(),
    trainedOn: z.enum(BACKENDS).optional(),
    report: z.record(z.string(), z.unknown()).optional(),
  }),
  trainedOn: z.enum(BACKENDS).nullable(),
  accuracy: z.partialRecord(
    z.enum(BACKENDS),
    z.object({ accuracy: z.number().min(0).max(1), correct: z.number().int().nonnegative() }),
  ),
});

/** The text a prefix is keyed and stored under: its version 1 text, for either version. */
const storedText = (prefix: Recipe) => formatRecipe({ ...prefix, version: 1 });
/** The file version of the size a stored entry keeps (version 1's). */
const STORED_FILE_VERSION = FILE_VERSION_OF_RECIPE[1];

/** An entry's accuracy per backend without each image's class (the store keeps counts only). */
function countsOnly(accuracy: PrefixEntry['accuracy']): PrefixEntry['accuracy'] {
  return Object.fromEntries(
    Object.entries(accuracy).map(([backend, { accuracy, correct }]) => [
      backend,
      { accuracy, correct },
    ]),
  );
}

/** The length of an entry's compact file in `version`, encoded once per version. */
export function fileSize(entry: PrefixEntry, version: WrittenFileVersion): number {
  let size = entry.sizes.get(version);
  if (size === undefined) {
    size = encodeModel(entry.graph, { version }).bytes.length;
    entry.sizes.set(version, size);
  }
  return size;
}

export class PrefixCache {
  private readonly entries = new Map<string, PrefixEntry>();

  constructor(
    private readonly store?: PrefixStore,
    private readonly memoryEntries = MEMORY_ENTRIES,
  ) {}

  /** The key of a prefix of a recipe on a base model, trained (or to be) on `trainedOn`. */
  key(base: BaseModel, prefix: Recipe, trainedOn: BackendName | null): string {
    return `${base.fingerprint}|${trainedOn ?? '-'}|${storedText(prefix)}`;
  }

  /** The entry in memory, else the one in the persistent store (kept in memory then). */
  async get(key: string, prefix: Recipe): Promise<PrefixEntry | undefined> {
    return this.entries.get(key) ?? (await this.fromStore(key, prefix));
  }

  /** Keeps an entry in memory, as the most recently used. */
  remember(key: string, entry: PrefixEntry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.memoryEntries) {
      this.entries.delete(this.entries.keys().next().value!);
    }
  }

  /**
   * Keeps an entry in the persistent store, if it is worth it. Only what is costly to
   * recompute is persisted (fine-tuning, sensitivity analysis): a one-shot pruning step takes
   * milliseconds and would crowd trained prefixes out of a bounded store.
   */
  async persist(key: string, prefix: Recipe, entry: PrefixEntry): Promise<void> {
    if (!entry.persist) return;
    try {
      await this.store?.set(
        key,
        serializeGraph(entry.graph, {
          step: {
            ...entry.step,
            recipeText: storedText(prefix),
            sizeBytes: fileSize(entry, STORED_FILE_VERSION),
          },
          trainedOn: entry.trainedOn,
          accuracy: countsOnly(entry.accuracy),
        }),
      );
    } catch {
      // A full or unavailable store only costs a recomputation later.
    }
  }

  clear(): void {
    this.entries.clear();
  }

  private async fromStore(key: string, prefix: Recipe): Promise<PrefixEntry | undefined> {
    if (!this.store) return undefined;
    try {
      const bytes = await this.store.get(key);
      if (!bytes) return undefined;
      const { graph, extra } = deserializeGraph(bytes);
      const parsed = storedEntrySchema.safeParse(extra);
      // An entry is only trusted for the very prefix it was stored for.
      if (!parsed.success || parsed.data.step.recipeText !== storedText(prefix)) return undefined;
      const { trainedOn, accuracy } = parsed.data as Pick<PrefixEntry, 'trainedOn' | 'accuracy'>;
      const { recipeText: _text, sizeBytes, ...step } = parsed.data.step;
      const sizes = new Map([[STORED_FILE_VERSION, sizeBytes]]);
      const entry: PrefixEntry = { graph, step, sizes, trainedOn, accuracy, persist: true };
      this.remember(key, entry);
      return entry;
    } catch {
      return undefined; // a damaged or foreign entry is recomputed
    }
  }
}
