import { describe, expect, it } from 'vitest';
import { formatShareState, parseShareState, tryParseShareState } from './share.ts';

describe('the plot axis in the share link', () => {
  it('keeps a latency axis, and writes nothing for the default (size)', () => {
    const state = parseShareState('v=1&model=lenet5&seed=1&steps=&plot=latency');
    expect(state.ui.plot).toBe('latency');
    expect(formatShareState(state)).toBe('v=1&model=lenet5&seed=1&steps=&plot=latency');
    expect(parseShareState('v=1&model=lenet5').ui.plot).toBeUndefined();
    const size = parseShareState('model=lenet5&plot=size');
    expect(formatShareState(size)).toBe('v=2&model=lenet5&seed=1&steps=');
  });

  it('refuses an axis it does not know, with a message naming it', () => {
    const parsed = tryParseShareState('model=lenet5&plot=speed');
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.error).toBe('plot must be one of size, latency (got "speed")');
  });
});
