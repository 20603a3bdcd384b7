import type { PaperFigures } from '../../engine/papers.ts';
import type { DecompositionSummary } from '../../engine/techniques/decompose/summary.ts';
import type { CodingSummary } from '../../engine/techniques/quantize/binary-common.ts';
import type { KernelLayers } from '../kernel-density.ts';
import { kib, percent } from './units.ts';

/** The figures of ours that the text report prints (`complab reproduce --json` prints them all). */
export interface ReproducedFigures {
  readonly model: string;
  readonly accuracy: number;
  readonly baselineAccuracy: number;
  readonly accuracyDrop: number;
  readonly density: number;
  readonly compressionRatio: number;
  readonly sizeBytes: number;
  readonly baselineSizeBytes: number;
  readonly params: number;
  readonly baselineParams: number;
  readonly latencyMs: number;
  readonly baselineLatencyMs: number;
  readonly elapsedMs: number;
  readonly recipe: string;
  readonly shareUrl: string | null;
  readonly layers: KernelLayers;
  readonly stages: readonly { readonly stage: string; readonly ratio: number }[];
  readonly decomposition?: DecompositionSummary;
}

/** `complab reproduce`'s text: the paper's figures beside ours, then a row per layer. */
export function formatReproduceReport(report: {
  readonly preset: string;
  readonly paper: PaperFigures;
  readonly ours: ReproducedFigures;
  readonly coding: CodingSummary;
  /** Digits per batch the latencies were timed on. */
  readonly latencyBatch: number;
}): string {
  const { preset, paper, ours, coding } = report;
  const { decomposition } = ours;
  const paperLayers = (paper.layers ?? {}) as Record<string, unknown>;
  return [
    `${preset} on ${ours.model} — paper: ${paper.paper} (${paper.source})`,
    `accuracy ${percent(ours.accuracy)} vs baseline ${percent(ours.baselineAccuracy)} (drop ${(100 * ours.accuracyDrop).toFixed(2)} points)`,
    `weights kept ${percent(ours.density)}${typeof paper.density === 'number' ? ` (paper ${percent(paper.density)})` : ''}; stored ${kib(ours.sizeBytes)}, ${ours.compressionRatio.toFixed(1)}x smaller than ${kib(ours.baselineSizeBytes)}`,
    `params ${ours.params} (baseline ${ours.baselineParams}); latency ${ours.latencyMs.toFixed(2)} ms vs ${ours.baselineLatencyMs.toFixed(2)} ms per batch of ${report.latencyBatch}; ${(ours.elapsedMs / 1000).toFixed(0)} s`,
    ...(ours.stages.length
      ? [
          `ratio after ${ours.stages.map((st) => `${st.stage} ${st.ratio.toFixed(1)}x`).join(', after ')}`,
        ]
      : []),
    `storage codings imply ${kib(coding.bytes)}, ${coding.ratio.toFixed(1)}x smaller (bits per weight: ${Object.entries(
      coding.layers,
    )
      .map(([name, l]) => `${name} ${l.bits}`)
      .join(', ')})`,
    'layer          weights   kept (ours)  kept (paper)  index bits  weight bits (Huffman)  index bits (Huffman)  stored bytes',
    ...Object.entries(ours.layers).map(([name, l]) => {
      const paperLayer = paperLayers[name] as unknown;
      const paperKept =
        typeof paperLayer === 'number'
          ? paperLayer
          : (paperLayer as { kept?: number } | undefined)?.kept;
      return `${name.padEnd(12)} ${String(l.weights).padStart(9)}   ${percent(l.density).padStart(9)}   ${(paperKept !== undefined ? percent(paperKept) : '-').padStart(11)}  ${String(l.indexBits ?? '-').padStart(10)}  ${(l.weightBits ? `${l.weightBits} (${l.weightBitsHuffman})` : '-').padStart(21)}  ${(l.weightBits ? String(l.indexBitsHuffman) : '-').padStart(20)}  ${String(l.sizeBytes).padStart(12)}`;
    }),
    ...(decomposition
      ? [
          `decomposed layers: ${decomposition.macsBefore} -> ${decomposition.macsAfter} MACs (${decomposition.macsReduction.toFixed(2)}x fewer), ${decomposition.paramsBefore} -> ${decomposition.paramsAfter} weights; ranks ${JSON.stringify(decomposition.ranks)}`,
          ...decomposition.warnings.map((w) => `warning: ${w}`),
        ]
      : []),
    `recipe: ${ours.recipe}`,
    ...(ours.shareUrl ? [`share link: ${ours.shareUrl}`] : []),
  ].join('\n');
}
