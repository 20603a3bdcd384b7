/** Progress reports as the page words them. */
import type { RunProgress } from '../../engine/lab.ts';
import { findTechniqueSpec } from '../../engine/techniques/catalog.ts';
import type { DataSetSizes } from '../../worker/protocol.ts';
import { formatBytes, formatPercent, stageLabel } from '../format.ts';

const techniqueLabel = (id: string | undefined) => (id ? (findTechniqueSpec(id)?.label ?? id) : '');

/** "step 2 of 3 (Fine-tune)" for a progress report inside a step. */
export function whereInRun(p: RunProgress): string {
  if (p.step === undefined || p.steps === undefined) return stageLabel(p.stage);
  return `step ${p.step + 1} of ${p.steps} (${techniqueLabel(p.technique)})`;
}

/** "epoch 1 of 2 · batch 8 of 20 · loss 0.312 · running accuracy 91.40 %" while training. */
export function trainingLine(p: RunProgress): string | null {
  const parts: string[] = [];
  if (p.phase) parts.push(p.phase);
  if (p.epoch !== undefined && p.epochs !== undefined)
    parts.push(`epoch ${p.epoch + 1} of ${p.epochs}`);
  if (p.batch !== undefined && p.batches !== undefined)
    parts.push(`batch ${p.batch + 1} of ${p.batches}`);
  if (p.loss !== undefined) parts.push(`loss ${p.loss.toFixed(3)}`);
  if (p.accuracy !== undefined) parts.push(`running accuracy ${formatPercent(p.accuracy)}`);
  return parts.length ? parts.join(' · ') : null;
}

/**
 * What the run reads from the network, as stored: the test split while loading (the engine
 * says how much), the training split in a step that trains (from the data set's manifest).
 * Either is fetched once per visit; later runs read it from memory.
 */
export function downloadLine(p: RunProgress, sizes: DataSetSizes | undefined): string | null {
  if (p.stage === 'loading' && p.downloadBytes !== undefined) {
    return `Reading ${formatBytes(p.downloadBytes)} of test images (downloaded once per visit)`;
  }
  if (p.stage === 'compressing' && sizes && findTechniqueSpec(p.technique ?? '')?.trains) {
    return `This step trains on the training images: ${formatBytes(sizes.trainBytes)} (downloaded once per visit)`;
  }
  return null;
}
