import { describe, expect, it } from 'vitest';
import {
  LATENCY_SETTING_KEYS,
  latencySettingsFromEnvironment,
  latencySettingsFromStorage,
  parseLatencyMinSamples,
  parseLatencyWindow,
} from './latency-settings.ts';

const storageWith = (items: Record<string, string>) => () => ({
  getItem: (key: string) => items[key] ?? null,
});

describe('the latency settings', () => {
  it('take a window of a positive number of ms and nothing else', () => {
    expect(parseLatencyWindow('20')).toBe(20);
    expect(parseLatencyWindow('2.5')).toBe(2.5);
    for (const text of [undefined, null, '', '0', '-5', 'abc', 'Infinity']) {
      expect(parseLatencyWindow(text)).toBeUndefined();
    }
  });

  it('take a minimum sample count of a positive whole number and nothing else', () => {
    expect(parseLatencyMinSamples('5')).toBe(5);
    for (const text of [undefined, null, '', '0', '-5', '2.5', 'abc', 'Infinity']) {
      expect(parseLatencyMinSamples(text)).toBeUndefined();
    }
  });

  it('read the page settings from localStorage, and the defaults where there are none', () => {
    const { latencyWindowMs, latencyMinSamples } = LATENCY_SETTING_KEYS;
    expect(
      latencySettingsFromStorage(
        storageWith({ [latencyWindowMs]: '20', [latencyMinSamples]: '5' }),
      ),
    ).toEqual({ latencyWindowMs: 20, latencyMinSamples: 5 });
    expect(latencySettingsFromStorage(storageWith({ [latencyWindowMs]: '20' }))).toEqual({
      latencyWindowMs: 20,
    });
    expect(latencySettingsFromStorage(storageWith({ [latencyMinSamples]: 'many' }))).toEqual({});
    expect(latencySettingsFromStorage(() => undefined)).toEqual({});
  });

  it('keep the defaults when storage cannot be read', () => {
    const denied = () => {
      throw new DOMException('storage is off', 'SecurityError');
    };
    expect(latencySettingsFromStorage(denied)).toEqual({});
  });

  it('read the same settings from a process environment', () => {
    expect(
      latencySettingsFromEnvironment({
        COMPLAB_LATENCY_WINDOW_MS: '20',
        COMPLAB_LATENCY_MIN_SAMPLES: '5',
      }),
    ).toEqual({ latencyWindowMs: 20, latencyMinSamples: 5 });
    expect(latencySettingsFromEnvironment({ COMPLAB_LATENCY_WINDOW_MS: 'fast' })).toEqual({});
    expect(latencySettingsFromEnvironment({})).toEqual({});
  });
});
