/**
 * The golden table: share links with the correct count, digit count and stored bytes they gave
 * when they were recorded (src/engine/golden/golden-links.json). They are regression values,
 * not truths: a change that moves one is a bug to fix, or a deliberate change that bumps the
 * recipe version so that old links keep their numbers (docs/links-keep-their-numbers.md).
 * `npm test` checks the entries marked fast; `npm run test:golden` checks them all.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Lab } from '../lab.ts';
import { SHIPPED_MODELS } from '../model/catalog.ts';
import { RecipeError } from '../recipe/errors.ts';
import { normalizeRecipe } from '../recipe/recipe.ts';
import { formatRecipe, parseShareState } from '../recipe/share.ts';
import { PRESETS } from '../techniques/presets.ts';
import { TOURS, tourStepRecipe } from '../tours.ts';

export const GOLDEN_PATH = fileURLToPath(new URL('./golden-links.json', import.meta.url));

export interface GoldenFigures {
  readonly correct: number;
  readonly total: number;
  readonly sizeBytes: number;
}

export interface GoldenEntry {
  /** Link text (v=...&model=...&seed=...&steps=...), as the page and `complab eval` read it. */
  readonly link: string;
  /** Where the link comes from: a preset on a model, a docs page, a tour step, by hand. */
  readonly source: string;
  /** null: not measured yet (pending). */
  readonly expected: GoldenFigures | null;
  /** Checked by `npm test` (it needs no or little training); the rest by `npm run test:golden`. */
  readonly fast: boolean;
  /** How and when the expected figures were measured. */
  readonly measured?: {
    readonly command: string;
    readonly date: string;
    readonly commit: string;
    /** Wall time of the run then (a loaded 2-core machine): how the fast entries were chosen. */
    readonly elapsedMs: number;
  };
}

export interface GoldenTable {
  readonly about: string;
  readonly entries: GoldenEntry[];
}

export function readGoldenTable(path = GOLDEN_PATH): GoldenTable {
  const table = JSON.parse(readFileSync(path, 'utf8')) as GoldenTable;
  const seen = new Set<string>();
  for (const entry of table.entries) {
    if (seen.has(entry.link)) throw new Error(`golden table: "${entry.link}" appears twice`);
    seen.add(entry.link);
    parseShareState(entry.link); // a link the lab cannot read is a broken table
  }
  return table;
}

export function writeGoldenTable(table: GoldenTable, path = GOLDEN_PATH): void {
  writeFileSync(path, `${JSON.stringify(table, null, 2)}\n`);
}

/** What a link gives now: the run `complab eval --recipe <link>` does, in a given lab. */
export async function measureLink(lab: Lab, link: string): Promise<GoldenFigures> {
  const result = await lab.run(parseShareState(link).recipe);
  return { correct: result.correct, total: result.total, sizeBytes: result.sizeBytes };
}

/**
 * The links the table must hold, with where each comes from: every preset on every shipped
 * model it applies to, then every tour step.
 */
export async function requiredLinks(lab: Lab): Promise<{ link: string; source: string }[]> {
  const required: { link: string; source: string }[] = [];
  for (const model of SHIPPED_MODELS) {
    for (const preset of PRESETS) {
      let steps;
      try {
        steps = await lab.expandPreset(model, preset.id);
      } catch (err) {
        if (err instanceof RecipeError) continue; // svd on a network without dense layers
        throw err;
      }
      const link = formatRecipe(normalizeRecipe({ model, seed: 1, steps }));
      required.push({ link, source: `preset ${preset.id} on ${model}` });
    }
  }
  for (const tour of TOURS) {
    for (const [k, step] of tour.steps.entries()) {
      const link = formatRecipe(tourStepRecipe(step));
      required.push({ link, source: `tour ${tour.id}, step ${k + 1}` });
    }
  }
  return required;
}

/** Entries of shard `index` of `count` (1-based), every count-th entry, so shards mix slow and fast. */
export function shardOf<T>(items: readonly T[], index: number, count: number): T[] {
  if (!(Number.isInteger(count) && count >= 1 && Number.isInteger(index) && index >= 1)) {
    throw new Error(`a shard is i/n with 1 <= i <= n (got ${index}/${count})`);
  }
  if (index > count) throw new Error(`shard ${index}/${count}: i must be at most n`);
  return items.filter((_, k) => k % count === index - 1);
}
