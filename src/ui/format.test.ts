import { describe, expect, it } from 'vitest';
import { finitePopulationInterval } from '../engine/measure/interval.ts';
import {
  validationImagesText,
  formatDuration,
  formatIntervalPercent,
  formatParamValue,
  formatPercent,
  formatShape,
  formatSmall,
  stepsOf,
} from './format.ts';

describe('parameter values', () => {
  it('shows fractions as percentages with the digits their step has', () => {
    expect(formatParamValue({ step: 0.01, percent: true }, 0.9)).toBe('90 %');
    expect(formatParamValue({ step: 0.001, percent: true }, 0.66)).toBe('66.0 %');
    expect(formatParamValue({ step: 0.05 }, 0.5)).toBe('0.50');
    expect(formatParamValue({ step: 0.000001, log: true }, 0.0001)).toBe('1e-4');
  });

  it('writes small numbers in short scientific notation', () => {
    expect(formatSmall(0.0003)).toBe('3e-4');
    expect(formatSmall(0.000025)).toBe('2.5e-5');
    expect(formatSmall(0.02)).toBe('0.02');
    expect(formatSmall(0)).toBe('0');
  });
});

describe('other formats', () => {
  it('rounds time estimates to seconds and minutes', () => {
    expect(formatDuration(400)).toBe('0 s');
    expect(formatDuration(12_400)).toBe('12 s');
    expect(formatDuration(125_000)).toBe('2 min 05 s');
  });

  it('writes shapes and steps', () => {
    expect(formatShape([5, 5, 1, 20])).toBe('5×5×1×20');
    expect(formatShape(undefined)).toBe('—');
    expect(stepsOf('v=1&model=lenet5&seed=1&steps=')).toBe('none (baseline)');
    expect(stepsOf('v=1&model=lenet5&seed=1&steps=prune(fraction=0.9)')).toBe(
      'prune(fraction=0.9)',
    );
    expect(stepsOf('v=1&steps=%E0%A4%A')).toBe('%E0%A4%A'); // malformed escapes stay as written
  });
});

describe('accuracy intervals', () => {
  it('rounds the low bound down and the high bound up, to a tenth of a percent', () => {
    // 1,975 of 2,000 seen: the interval is the exact 98.75 %, which to nearest reads 98.8-98.8.
    expect(formatIntervalPercent({ low: 0.9875, high: 0.9875 })).toBe('98.7–98.8 %');
    expect(formatIntervalPercent({ low: 0.98712, high: 0.98788 })).toBe('98.7–98.8 %');
    expect(formatIntervalPercent({ low: 0.98749, high: 0.98801 })).toBe('98.7–98.9 %');
    // Bounds already on a tenth stay there (0.988 * 1000 is 987.9999999999999 in floats).
    expect(formatIntervalPercent({ low: 0.988, high: 0.99 })).toBe('98.8–99.0 %');
    expect(formatIntervalPercent({ low: 0, high: 1 })).toBe('0.0–100.0 %');
  });

  it('the printed interval holds the printed estimate, for every count the page can show', () => {
    const total = 2000;
    const parse = (text: string) => text.replace(' %', '').split('–').map(Number);
    for (let seen = 100; seen <= total; seen += 100) {
      for (let correct = Math.floor(seen * 0.9); correct <= seen; correct++) {
        const estimate = Number(formatPercent(correct / seen).replace(' %', ''));
        const [low, high] = parse(
          formatIntervalPercent(finitePopulationInterval(correct, seen, total)),
        );
        expect(low, `${correct} of ${seen}`).toBeLessThanOrEqual(estimate);
        expect(high, `${correct} of ${seen}`).toBeGreaterThanOrEqual(estimate);
      }
    }
  });
});

describe('validationImagesText', () => {
  it("names the validation images a step chooses on: 5,000 of MNIST's 60,000, or mnist-10k's last 2,000 training digits", () => {
    expect(validationImagesText('mnist')).toBe(
      'the 5,000 validation images of MNIST (held out of training)',
    );
    expect(validationImagesText('fashion-mnist')).toBe(
      'the 5,000 validation images of Fashion-MNIST (held out of training)',
    );
    expect(validationImagesText('mnist-10k')).toBe('2,000 held-out training digits');
  });
});
