/**
 * Links keep their numbers: the golden table's fast entries (no or little training, about a
 * minute in all on the 2-core machine) run here, as `complab eval --recipe <link>` runs them,
 * and must give the correct count, digit count and stored bytes recorded when they were
 * measured. `npm run test:golden` runs every entry. The expected values are regression values
 * recorded earlier (each entry says when, with which command and commit), not computed here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../lab.ts';
import { useNodeBackend } from '../node/backend.ts';
import { publicAssets } from '../test/fixtures.ts';
import { measureLink, readGoldenTable, requiredLinks, shardOf } from './golden-links.ts';

const table = readGoldenTable();
const fast = table.entries.filter((e) => e.fast && e.expected !== null);

/** The time budget of the fast entries, as measured when they were recorded (loaded machine). */
const FAST_BUDGET_MS = 60_000;

describe('the golden table', () => {
  let lab: Lab;
  beforeAll(async () => {
    await useNodeBackend('wasm');
    lab = new Lab({ read: publicAssets });
  });
  afterAll(async () => {
    await lab.dispose();
  });

  it('holds every preset on every shipped model and every tour step', async () => {
    const links = new Set(table.entries.map((e) => e.link));
    const missing = (await requiredLinks(lab))
      .filter(({ link }) => !links.has(link))
      .map(({ source }) => source);
    // A preset whose expansion changes is a new link: measure it (scripts/golden.ts).
    expect(missing).toEqual([]);
  }, 60_000);

  it('marks as fast only entries measured within the budget', () => {
    expect(fast.length).toBeGreaterThanOrEqual(5);
    const total = fast.reduce((sum, e) => sum + (e.measured?.elapsedMs ?? Infinity), 0);
    expect(total).toBeLessThanOrEqual(FAST_BUDGET_MS);
  });

  it('shards cover every entry once', () => {
    const items = Array.from({ length: 11 }, (_, k) => k);
    const shards = [1, 2, 3].map((i) => shardOf(items, i, 3));
    expect(shards.flat().sort((a, b) => a - b)).toEqual(items);
    expect(() => shardOf(items, 4, 3)).toThrow(/at most n/);
  });

  it.each(fast.map((e) => [e.link, e] as const))(
    '%s gives its recorded numbers',
    async (_link, entry) => {
      expect(await measureLink(lab, entry.link)).toEqual(entry.expected);
    },
    120_000,
  );
});
