/**
 * The one way a compact model file leaves the lab (`complab export`, `complab eval
 * --export-model`, the page's Export): encoded, decoded again and evaluated, and handed out
 * only when the decoded model classifies as many test digits correctly as the run reported and
 * the file is as long as the size reported. A file that is not the model it reports is never
 * written; the error says which number differs.
 */
import type { LayerGraph } from '../model/graph.ts';
import { decodeModel, encodeModel, type EncodedModel, type EncodeOptions } from './model-file.ts';

/** The run's reported figures a file must match. */
export interface ReportedRun {
  readonly correct: number;
  readonly total: number;
  readonly sizeBytes: number;
}

export interface VerifiedCompactFile extends EncodedModel {
  /** Test digits the decoded file classifies correctly (equal to the run's). */
  readonly correct: number;
}

export class CompactExportError extends Error {
  override name = 'CompactExportError';
}

/**
 * Encodes `graph` (in the file version of the run's recipe, `options.version`), decodes the
 * bytes and counts the decoded model's correct test digits with `countCorrect`; throws
 * CompactExportError when the file's length or that count differs from the run's.
 */
export async function verifiedCompactFile(
  graph: LayerGraph,
  run: ReportedRun,
  countCorrect: (decoded: LayerGraph) => Promise<number>,
  options: EncodeOptions = {},
): Promise<VerifiedCompactFile> {
  const encoded = encodeModel(graph, options);
  const refuse = (why: string) => {
    throw new CompactExportError(`the compact file was not written: ${why}`);
  };
  if (encoded.bytes.length !== run.sizeBytes)
    refuse(`it is ${encoded.bytes.length} B long, the run reported ${run.sizeBytes} B`);
  const correct = await countCorrect(decodeModel(encoded.bytes));
  if (correct !== run.correct)
    refuse(
      `decoded, it classifies ${correct} of ${run.total} test digits correctly, the run reported ${run.correct}`,
    );
  return { ...encoded, correct };
}
