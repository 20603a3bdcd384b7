import { describe, expect, it } from 'vitest';
import type { RunProgress, StepResult } from '../../engine/lab.ts';
import { trainingLine, whereInRun } from './progress-text.ts';
import {
  channelsOf,
  groupsShown,
  histogramRows,
  roundsOf,
  sensitivityOf,
  stepDetail,
  trainingOf,
} from './reports.ts';

const step = (report: Record<string, unknown>): StepResult => ({
  index: 0,
  technique: 'x',
  recipeText: '',
  accuracy: 0.9,
  correct: 1800,
  params: 10,
  nonzeroParams: 5,
  sizeBytes: 100,
  elapsedMs: 1,
  cached: false,
  report,
});

describe('step reports', () => {
  it('summarizes fine-tuning from first to last epoch', () => {
    const training = [
      { epoch: 0, loss: 0.5, accuracy: 0.9, learningRate: 0.001, elapsedMs: 1 },
      { epoch: 1, loss: 0.25, accuracy: 0.95, learningRate: 0.001, elapsedMs: 1 },
    ];
    expect(trainingOf({ training })).toHaveLength(2);
    expect(stepDetail(step({ training }))).toBe(
      '2 epochs: loss 0.500 → 0.250, training accuracy 95.00 %',
    );
  });

  it('summarizes SSL removals, densities and released weights', () => {
    const ssl = {
      channelsBefore: { conv1: 20, conv2: 50 },
      channelsAfter: { conv1: 14, conv2: 50 },
      removed: { conv1: 6 },
    };
    expect(channelsOf(ssl)).toEqual({
      before: ssl.channelsBefore,
      after: ssl.channelsAfter,
      removed: ssl.removed,
    });
    expect(stepDetail(step(ssl))).toBe('removed 6 of 20 in conv1');
    expect(stepDetail(step({ density: { conv1: 0.66, fc1: 0.08 } }))).toBe(
      'weights kept: conv1 66 %, fc1 8.0 %',
    );
    expect(stepDetail(step({ released: 12345 }))).toBe('12,345 pruned weights released at zero');
    expect(stepDetail(step({}))).toBe('');
  });

  it('reads iterative rounds and sensitivity curves, and nothing from other reports', () => {
    const rounds = [{ round: 1, density: { fc1: 0.5 }, checkAccuracy: 0.97, loss: 0.1 }];
    expect(roundsOf({ rounds })).toEqual(rounds);
    expect(roundsOf({ training: [] })).toBeNull();
    const sensitivity = {
      baseAccuracy: 0.98,
      layers: [{ name: 'fc1', points: [{ density: 0.5, accuracy: 0.97 }] }],
    };
    expect(sensitivityOf({ sensitivity, density: { fc1: 0.5 } })).toEqual(sensitivity);
    expect(sensitivityOf({ density: { fc1: 0.5 } })).toBeNull();
    expect(channelsOf(undefined)).toBeNull();
  });
});

describe('charts', () => {
  it('draws every group of a small layer, and one in k of a wide one', () => {
    expect(groupsShown(20)).toHaveLength(20);
    expect(groupsShown(300)).toEqual(Array.from({ length: 60 }, (_, i) => i * 5));
    expect(groupsShown(500).length).toBeLessThanOrEqual(64);
  });

  it('turns histogram bins into rows at their centres', () => {
    expect(histogramRows({ min: -1, max: 1, before: [1, 2, 3, 4], after: [0, 1, 0, 2] })).toEqual([
      { centre: -0.75, before: 1, after: 0 },
      { centre: -0.25, before: 2, after: 1 },
      { centre: 0.25, before: 3, after: 0 },
      { centre: 0.75, before: 4, after: 2 },
    ]);
  });
});

describe('progress text', () => {
  const training: RunProgress = {
    stage: 'compressing',
    fraction: 0.3,
    step: 1,
    steps: 3,
    technique: 'finetune',
    phase: 'fine-tuning',
    epoch: 0,
    epochs: 2,
    batch: 9,
    batches: 125,
    loss: 0.1234,
    accuracy: 0.9512,
  };

  it('names the step by number and technique label', () => {
    expect(whereInRun(training)).toBe('step 2 of 3 (Fine-tune)');
    expect(whereInRun({ stage: 'baseline', fraction: 0.5 })).toBe(
      'Measuring the uncompressed baseline',
    );
  });

  it('writes epoch and batch from 1, with loss and running accuracy', () => {
    expect(trainingLine(training)).toBe(
      'fine-tuning · epoch 1 of 2 · batch 10 of 125 · loss 0.123 · running accuracy 95.12 %',
    );
    expect(trainingLine({ stage: 'loading', fraction: 0 })).toBeNull();
  });
});
