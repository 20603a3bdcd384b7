import { describe, expect, it } from 'vitest';
import { downloadLine } from './progress-text.ts';

// MNIST's stored files (public/data/mnist, `ls -l`): test 1,629,558 + 4,203 bytes, training
// 8,983,721 + 26,185 bytes.
const MNIST = { data: 'mnist', testBytes: 1_633_761, trainBytes: 9_009_906 } as const;

describe('what a run says it downloads', () => {
  it('the test split while loading, from the engine report (no sizes needed)', () => {
    expect(
      downloadLine({ stage: 'loading', fraction: 0, downloadBytes: 1_633_761 }, undefined),
    ).toBe('Reading 1.63 MB of test images (downloaded once per visit)');
  });

  it('the training split in a step that trains, and nothing in one that does not', () => {
    const inStep = { stage: 'compressing', fraction: 0.1, step: 0, steps: 2 } as const;
    expect(downloadLine({ ...inStep, technique: 'finetune' }, MNIST)).toBe(
      'This step trains on the training images: 9.01 MB (downloaded once per visit)',
    );
    expect(downloadLine({ ...inStep, technique: 'prune' }, MNIST)).toBeNull();
    // Sizes not known yet: nothing rather than a guess.
    expect(downloadLine({ ...inStep, technique: 'finetune' }, undefined)).toBeNull();
    expect(downloadLine({ stage: 'evaluating', fraction: 0.5 }, MNIST)).toBeNull();
  });
});
