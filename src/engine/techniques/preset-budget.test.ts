import { describe, expect, it } from 'vitest';
import { formatSteps, normalizeStep } from '../recipe/recipe.ts';
import { expandPreset, PRESETS, withPresetTrainingBudget, type PresetModel } from './presets.ts';

const lenet5: PresetModel = {
  id: 'lenet5',
  layers: [
    { name: 'conv1', className: 'Conv2D' },
    { name: 'conv2', className: 'Conv2D' },
    { name: 'fc1', className: 'Dense' },
    { name: 'fc2', className: 'Dense' },
  ],
};

describe("presets keep their training budget on a data set's larger training split", () => {
  it('leave every preset unchanged on mnist-10k (8,000 digits): old links keep their steps', () => {
    for (const preset of PRESETS) {
      expect(formatSteps(expandPreset(preset.id, { ...lenet5, trainingImages: 8000 }))).toBe(
        formatSteps(preset.expand(lenet5)),
      );
    }
  });

  it("cap each epoch of every training step at 8,000 unshifted images on MNIST's 55,000", () => {
    const steps = expandPreset('deep-compression', { ...lenet5, trainingImages: 55_000 });
    // By hand: 8,000 / 64 = 125 batches an epoch for the default batch of 64.
    expect(
      steps.filter((s) => 'epochs' in s.params).map((s) => [s.technique, s.params.batches]),
    ).toEqual([
      ['iterative-prune', 125],
      ['finetune', 125],
      ['finetune', 125],
    ]);
    // On mnist-10k the pruning rounds train with shifts; here none does.
    expect(steps.filter((s) => 'augment' in s.params).map((s) => s.params.augment)).toEqual([
      false,
      false,
      false,
    ]);
    // The steps that do not train are as on mnist-10k.
    const untouched = (list: typeof steps) =>
      formatSteps(list.filter((s) => !('epochs' in s.params)));
    expect(untouched(steps)).toBe(
      untouched(PRESETS.find((p) => p.id === 'deep-compression')!.expand(lenet5)),
    );
  });

  it('round up for a batch that does not divide 8,000, and keep a cap a step already has', () => {
    const ssl = expandPreset('ssl', { ...lenet5, trainingImages: 55_000 });
    for (const step of ssl) expect(step.params.batches).toBe(125);
    const ttq = expandPreset('ttq', { ...lenet5, trainingImages: 55_000 });
    expect(ttq[0].params.batches).toBe(125);
    // 8,000 / 128 = 62.5: 63 batches, the budget rounded up.
    const [wide, capped] = withPresetTrainingBudget(
      [
        normalizeStep('finetune', { epochs: 2, batch: 128 }),
        normalizeStep('finetune', { epochs: 2, batches: 40 }),
      ],
      55_000,
    );
    expect(wide.params.batches).toBe(63);
    expect(capped.params.batches).toBe(40);
  });

  it("give an MLP deep compression's whole-epoch schedule chosen on MNIST's validation split", () => {
    const lenet300: PresetModel = {
      id: 'lenet300',
      layers: ['fc1', 'fc2', 'fc3'].map((name) => ({ name, className: 'Dense' })),
      trainingImages: 55_000,
    };
    const steps = expandPreset('deep-compression', lenet300);
    expect(steps.map((s) => s.technique)).toEqual([
      'iterative-prune',
      'finetune',
      'index-bits',
      'kmeans',
      'finetune',
      'huffman',
    ]);
    // Pruning and its retraining: whole epochs (batches 0), 4 rounds of 2 and 4 more, unshifted.
    expect([steps[0].params.rounds, steps[0].params.epochs, steps[1].params.epochs]).toEqual([
      4, 2, 4,
    ]);
    expect(steps.slice(0, 2).map((s) => [s.params.batches, s.params.augment])).toEqual([
      [0, false],
      [0, false],
    ]);
    // The centroid fine-tuning keeps the 8,000-image budget.
    expect(steps[4].params.batches).toBe(125);
  });
});
