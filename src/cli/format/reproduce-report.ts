import { dataSetInfo, type DataSetId } from '../../engine/data/datasets.ts';
import type { PaperFigures } from '../../engine/papers.ts';
import type { PairedComparison } from '../../engine/stats/mcnemar.ts';
import { formatPaired } from '../../engine/stats/paired-text.ts';
import type { DecompositionSummary } from '../../engine/techniques/decompose/summary.ts';
import type { CodingSummary } from '../../engine/techniques/quantize/binary-common.ts';
import type { KernelLayers } from '../kernel-density.ts';
import { mean, sampleStd } from '../seed-spread.ts';
import { kib, percent } from './units.ts';

/** The figures of ours that the text report prints (`complab reproduce --json` prints them all). */
export interface ReproducedFigures {
  readonly model: string;
  readonly data: DataSetId;
  readonly testImages: number;
  readonly accuracy: number;
  /** Against the baseline on the same test images (one seed's run; absent for a mean). */
  readonly paired?: PairedComparison;
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
  const data = dataSetInfo(ours.data);
  return [
    `${preset} on ${ours.model} — paper: ${paper.paper} (${paper.source})`,
    `data: ${data.id} (${data.name}), ${ours.testImages.toLocaleString('en-US')} test images${data.id === 'mnist' ? '' : "; the paper's figures are on MNIST's 10,000 test digits"}`,
    `accuracy ${percent(ours.accuracy)} vs baseline ${percent(ours.baselineAccuracy)} (drop ${(100 * ours.accuracyDrop).toFixed(2)} points)`,
    ...(ours.paired
      ? [`vs baseline on the same images: ${formatPaired(ours.paired, ours.testImages)}`]
      : []),
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
      return `${name.padEnd(12)} ${String(l.weights).padStart(9)}   ${percent(l.density).padStart(9)}   ${(paperKept !== undefined ? percent(paperKept) : '-').padStart(11)}  ${figure(l.indexBits).padStart(10)}  ${(l.weightBits ? `${figure(l.weightBits)} (${figure(l.weightBitsHuffman)})` : '-').padStart(21)}  ${(l.weightBits ? figure(l.indexBitsHuffman) : '-').padStart(20)}  ${String(Math.round(l.sizeBytes)).padStart(12)}`;
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

/** A per-layer figure: whole numbers as they are, a mean over seeds to two decimals. */
function figure(value: number | undefined): string {
  if (value === undefined) return '-';
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/** One seed's figures, as `ours.seeds` holds them. */
export interface SeedFigures extends ReproducedFigures {
  readonly seed: number;
  readonly codedCompressionRatio: number;
}

const points = (fraction: number) => (100 * fraction).toFixed(2);

/**
 * `complab reproduce --seeds n`'s closing table: each seed's accuracy, drop, paired comparison
 * and ratios, then their mean and sample standard deviation (n - 1).
 */
export function formatSeedTable(seeds: readonly SeedFigures[]): string {
  const columns = (cells: readonly string[]) =>
    `${cells[0].padEnd(6)} ${cells[1].padStart(16)} ${cells[2].padStart(14)} ${cells[3].padStart(16)} ${cells[4].padStart(14)}  ${cells[5]}`.trimEnd();
  const spread = (pick: (s: SeedFigures) => number, digits: number, scale = 1) => {
    const values = seeds.map((s) => scale * pick(s));
    return `${mean(values).toFixed(digits)} ± ${sampleStd(values).toFixed(digits)}`;
  };
  return [
    `${seeds.length} seeds (mean ± sample standard deviation, n - 1); the figures above are the means, the codings, recipe and link seed ${seeds[0].seed}'s:`,
    columns(['seed', 'accuracy %', 'drop (pt)', 'ratio', 'coded ratio', 'vs baseline']),
    ...seeds.map((s) =>
      columns([
        String(s.seed),
        points(s.accuracy),
        points(s.accuracyDrop),
        s.compressionRatio.toFixed(2),
        s.codedCompressionRatio.toFixed(2),
        s.paired ? formatPaired(s.paired, s.testImages) : '-',
      ]),
    ),
    columns([
      'mean',
      spread((s) => s.accuracy, 2, 100),
      spread((s) => s.accuracyDrop, 2, 100),
      spread((s) => s.compressionRatio, 2),
      spread((s) => s.codedCompressionRatio, 2),
      '',
    ]),
  ].join('\n');
}
