import { dataSetInfo, LEGACY_DATA_SET } from '../../engine/data/datasets.ts';
import type { RunResult } from '../../engine/lab.ts';
import { formatPaired } from '../../engine/stats/paired-text.ts';
import { kib, percent } from './units.ts';

/** `complab eval`'s table: the run's figures, its steps and its layers. */
export function formatRunTable(result: RunResult, link: string | null): string {
  const data = dataSetInfo(result.data ?? LEGACY_DATA_SET);
  const rows: [string, string][] = [
    ['model', result.model],
    ['data', `${data.id} (${data.name}), ${result.total.toLocaleString('en-US')} test images`],
    [
      'backend',
      result.trainedOn && result.trainedOn !== result.backend
        ? `${result.backend} (fine-tuned on ${result.trainedOn})`
        : result.backend,
    ],
    ['recipe', result.recipeText],
    [
      'accuracy',
      `${percent(result.accuracy)} (${result.correct}/${result.total}; baseline ${percent(result.baselineAccuracy)})`,
    ],
    // The same test images, one by one: what the run loses and gains, and whether that is chance.
    ...(result.paired
      ? [['vs baseline', formatPaired(result.paired, result.total)] as [string, string]]
      : []),
    [
      'size',
      `${result.sizeBytes} bytes = ${kib(result.sizeBytes)} (baseline ${kib(result.baselineSizeBytes)}, ${result.compressionRatio.toFixed(2)}x smaller)`,
    ],
    [
      'params',
      `${result.nonzeroParams} nonzero of ${result.params} (baseline ${result.baselineParams})`,
    ],
    [
      'MACs',
      `${result.macs} dense, ${result.sparseMacs} with zero weights skipped (baseline ${result.baselineMacs})`,
    ],
    [
      'latency',
      `${result.latencyMs.toFixed(2)} ms per batch of ${result.latencyBatch} (baseline ${result.baselineLatencyMs.toFixed(2)} ms)`,
    ],
  ];
  if (link) rows.push(['share link', link]);
  const width = Math.max(...rows.map(([k]) => k.length));
  const steps = result.steps.map(
    (s) =>
      `  ${String(s.index + 1).padStart(2)}. ${s.technique.padEnd(16)} ${percent(s.accuracy).padStart(7)}  ${String(s.nonzeroParams).padStart(8)} nonzero  ${String(s.sizeBytes).padStart(9)} B  ${(s.elapsedMs / 1000).toFixed(1).padStart(6)} s${s.cached ? ' (cached)' : ''}`,
  );
  const layerLines = result.layers
    .filter((l) => l.params > 0)
    .map(
      (l) =>
        `  ${l.name.padEnd(12)} ${l.className.padEnd(12)} ${`[${(l.kernelShape ?? []).join('x')}]`.padEnd(16)} ${String(l.nonzeroParams).padStart(8)}/${String(l.params).padEnd(8)} ${l.layout.padEnd(6)} ${l.indexBits ? `${l.indexBits}-bit` : '     '} ${String(l.sizeBytes).padStart(9)} B`,
    );
  return [
    ...rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`),
    ...(steps.length
      ? ['steps (test accuracy after each, nonzero params, stored size, time):', ...steps]
      : []),
    'layers (kernel shape, nonzero/params, layout, index bits, stored bytes):',
    ...layerLines,
  ].join('\n');
}
