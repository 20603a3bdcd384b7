import { z } from 'zod';
import { AssetError, type AssetReader } from '../assets.ts';
import type { ShippedModelId } from './shipped.ts';

// The ids live apart from zod so the CLI's help can list them without loading it.
export { SHIPPED_MODELS, isShippedModel, type ShippedModelId } from './shipped.ts';

/** How the page's model picker groups the shipped models: compress a big one, or design a small one. */
export const MODEL_GROUPS: readonly {
  readonly label: string;
  readonly ids: readonly ShippedModelId[];
}[] = [
  { label: 'classic', ids: ['lenet300', 'lenet5'] },
  { label: 'compact designs', ids: ['nin', 'squeezenet', 'inception', 'resnext'] },
];

/** The paper each shipped architecture comes from (for `complab zoo` and the comparison view). */
export const MODEL_PAPERS: Readonly<Record<ShippedModelId, string>> = {
  lenet300: 'LeCun et al. 1998; Han et al., Deep Compression (ICLR 2016)',
  lenet5: 'LeCun et al. 1998 (Caffe variant); Han et al., Deep Compression (ICLR 2016)',
  nin: 'Lin et al., Network in Network (ICLR 2014)',
  squeezenet: 'Iandola et al., SqueezeNet (2016)',
  inception: 'Szegedy et al., Going Deeper with Convolutions (CVPR 2015)',
  resnext: 'Xie et al., Aggregated Residual Transformations (CVPR 2017)',
};

export const modelJsonPath = (id: ShippedModelId) => `models/${id}/model.json`;

export const modelCardSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  params: z.number(),
  macs: z.number(),
  testAccuracy: z.number(),
  epochs: z.number(),
  seed: z.number(),
  trainingTimeSeconds: z.number(),
  /** Stored size of the baseline's weights in bytes, as the lab counts it (newer cards). */
  sizeBytes: z.number().optional(),
});
export type ModelCard = z.infer<typeof modelCardSchema>;

export async function loadModelCard(read: AssetReader, id: ShippedModelId): Promise<ModelCard> {
  const path = `models/${id}/card.json`;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(await read(path)));
  } catch (err) {
    throw new AssetError(err instanceof AssetError ? err.message : `${path} is not valid JSON`);
  }
  const parsed = modelCardSchema.safeParse(json);
  if (!parsed.success) throw new AssetError(`${path} is not a model card`);
  return parsed.data;
}
