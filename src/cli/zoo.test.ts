import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SHIPPED_MODELS } from '../engine/model/catalog.ts';
import { formatZooTable, type ZooRow } from './format/zoo-table.ts';

const root = join(import.meta.dirname, '..', '..');

const card = (id: string) =>
  JSON.parse(readFileSync(join(root, 'public', 'models', id, 'card.json'), 'utf8')) as {
    params: number;
    macs: number;
    testAccuracy: number;
    sizeBytes?: number;
  };

describe('complab zoo', () => {
  it('prints one row per shipped model, measured now, matching the model cards', async () => {
    const { stdout } = await promisify(execFile)(
      'node',
      ['bin/complab.mjs', 'zoo', '--data', 'mnist-10k', '--json', '--quiet'],
      { cwd: root },
    );
    const rows = JSON.parse(stdout) as ZooRow[];
    expect(rows.map((r) => r.id)).toEqual([...SHIPPED_MODELS]);
    for (const row of rows) {
      const c = card(row.id);
      expect(row.params).toBe(c.params);
      expect(row.macs).toBe(c.macs);
      // The card's accuracy came from tfjs' own predict when the model was trained.
      expect(row.accuracy).toBeCloseTo(c.testAccuracy, 4);
      // The compact file: 32-bit floats, plus the architecture as JSON (a few hundred bytes a
      // layer; the branched designs have up to ~60 layers) and a layout byte per tensor.
      expect(row.sizeBytes).toBeGreaterThanOrEqual(4 * row.params);
      expect(row.sizeBytes).toBeLessThan(4 * row.params + 32_000);
      if (c.sizeBytes !== undefined) expect(row.sizeBytes).toBe(c.sizeBytes);
      expect(row.latencyMs).toBeGreaterThan(0);
      expect(row.paper).toMatch(/\d{4}/);
    }
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
    // The issue's targets: SqueezeNet with 1/10 and NIN with 1/4 of LeNet-5's parameters.
    expect(byId.squeezenet.params * 10).toBeLessThanOrEqual(byId.lenet5.params);
    expect(byId.nin.params * 4).toBeLessThanOrEqual(byId.lenet5.params);
    expect(byId.nin.paper).toMatch(/Network in Network/);
    // The table has a header and the same rows.
    const table = formatZooTable(rows).split('\n');
    expect(table).toHaveLength(rows.length + 1);
    expect(table[3]).toMatch(/^nin\s/);
  });
});
