import { describe, expect, it } from 'vitest';
import { formatLatency, formatLatencyRange, latencyVersusBaseline } from './latency-text.ts';

const spread = (lowMs: number, highMs: number, samples = 40) => ({
  lowMs,
  highMs,
  minMs: lowMs / 2,
  maxMs: highMs * 2,
  samples,
});

describe('latency wording', () => {
  it('shows the middle half of the samples beside the median', () => {
    expect(formatLatency(0.67, spread(0.61, 0.72, 412))).toBe(
      '0.67 ms (middle half 0.61–0.72 ms of 412 runs)',
    );
    // A run recorded before spreads were kept: the median alone.
    expect(formatLatency(12.34, undefined)).toBe('12.3 ms');
    expect(formatLatencyRange(spread(0.61, 12.34))).toBe('(0.61–12.3)');
    expect(formatLatencyRange(undefined)).toBe('');
  });

  it('claims no speedup where the spreads overlap, however far apart the medians', () => {
    // The review's case: a noisy figure 0.11x "as fast" as its baseline.
    expect(
      latencyVersusBaseline({
        latencyMs: 6.12,
        latencySpread: spread(0.6, 7),
        baselineLatencyMs: 0.69,
        baselineLatencySpread: spread(0.65, 0.8),
      }),
    ).toBe('no measurable difference from the baseline');
    expect(
      latencyVersusBaseline({ latencyMs: 6.12, baselineLatencyMs: 0.69 }, 'the float model'),
    ).toBe('no measurable difference from the float model');
  });

  it('gives the ratio of the medians where the spreads are apart', () => {
    // 2.00 / 0.50 = 4.00; 0.50 / 2.00 = 0.25.
    expect(
      latencyVersusBaseline({
        latencyMs: 0.5,
        latencySpread: spread(0.45, 0.55),
        baselineLatencyMs: 2,
        baselineLatencySpread: spread(1.9, 2.1),
      }),
    ).toBe('4.00× faster than the baseline');
    expect(
      latencyVersusBaseline(
        {
          latencyMs: 2,
          latencySpread: spread(1.9, 2.1),
          baselineLatencyMs: 0.5,
          baselineLatencySpread: spread(0.45, 0.55),
        },
        'the float model',
      ),
    ).toBe('0.25× as fast as the float model');
  });
});
