import { z } from 'zod';
import { AssetError, type AssetReader } from '../assets.ts';

/** The baselines shipped under public/models/<id>/, trained by `npm run train`. */
export const SHIPPED_MODELS = ['lenet5', 'lenet300'] as const;
export type ShippedModelId = (typeof SHIPPED_MODELS)[number];

export function isShippedModel(id: string): id is ShippedModelId {
  return (SHIPPED_MODELS as readonly string[]).includes(id);
}

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
