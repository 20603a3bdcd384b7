/**
 * Deep Compression's Figure 1 for a run: the compression ratio after pruning, after
 * quantization and after Huffman coding, read from the stored size after each step (tfjs-free,
 * for the page and the CLI).
 */
export type Stage = 'pruning' | 'quantization' | 'huffman';

const STAGE_OF: Readonly<Record<string, Stage>> = {
  prune: 'pruning',
  'prune-std': 'pruning',
  'prune-density': 'pruning',
  'prune-auto': 'pruning',
  'iterative-prune': 'pruning',
  'index-bits': 'pruning',
  kmeans: 'quantization',
  'quantize-linear': 'quantization',
  'weighted-entropy': 'quantization',
  huffman: 'huffman',
};

export interface StageRatio {
  readonly stage: Stage;
  readonly sizeBytes: number;
  readonly ratio: number;
}

/**
 * The ratio at the end of each stage present in the steps; a fine-tuning step counts towards
 * the stage before it (retraining after pruning, centroid fine-tuning after k-means).
 */
export function stageRatios(
  steps: readonly { readonly technique: string; readonly sizeBytes: number }[],
  baselineSizeBytes: number,
): StageRatio[] {
  const out: StageRatio[] = [];
  let current: Stage | undefined;
  for (const step of steps) {
    const stage = STAGE_OF[step.technique] ?? current;
    if (!stage) continue;
    current = stage;
    const entry = { stage, sizeBytes: step.sizeBytes, ratio: baselineSizeBytes / step.sizeBytes };
    if (out.at(-1)?.stage === stage) out[out.length - 1] = entry;
    else out.push(entry);
  }
  return out;
}
