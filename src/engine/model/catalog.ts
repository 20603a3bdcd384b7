import { z } from 'zod';
import { AssetError, type AssetReader } from '../assets.ts';
import { DATA_SET_IDS, dataSetInfo, LEGACY_DATA_SET, type DataSetId } from '../data/datasets.ts';
import { SHIPPED_MODELS, type ShippedModelId } from './shipped.ts';

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

/**
 * The trained weights each data set ships, by model: all six for mnist-10k (public/models/<id>/,
 * the place every link made so far reads), and the baselines trained on the full training
 * splits by `npm run train -- --data <set>` (public/models/<set>/<id>/).
 */
export const SHIPPED_WEIGHTS: Readonly<Record<DataSetId, readonly ShippedModelId[]>> = {
  mnist: ['lenet300', 'lenet5'],
  'fashion-mnist': ['lenet5', 'lenet300'],
  'mnist-10k': SHIPPED_MODELS,
};

/** Model `id` has no trained weights for data set `data` in this build. */
export class MissingWeightsError extends AssetError {
  override name = 'MissingWeightsError';
}

export function hasShippedWeights(id: ShippedModelId, data: DataSetId): boolean {
  return SHIPPED_WEIGHTS[data].includes(id);
}

/**
 * The folder (under public/) of model `id`'s weights trained on `data`. Refuses a pair that
 * ships no weights, naming the models that data set has and the data sets that model has.
 */
export function modelDir(id: ShippedModelId, data: DataSetId = LEGACY_DATA_SET): string {
  const info = dataSetInfo(data);
  if (!hasShippedWeights(id, info.id)) {
    const models = SHIPPED_WEIGHTS[info.id];
    const sets = DATA_SET_IDS.filter((set) => hasShippedWeights(id, set));
    throw new MissingWeightsError(
      `no trained ${id} for ${info.id} in this build (${info.id} has ${
        models.length ? models.join(', ') : 'no trained models'
      }; ${id} is trained on ${sets.join(', ')})`,
    );
  }
  return info.id === LEGACY_DATA_SET ? `models/${id}` : `models/${info.id}/${id}`;
}

/** model.json of model `id` trained on `data` (default mnist-10k, the links made so far). */
export const modelJsonPath = (id: ShippedModelId, data: DataSetId = LEGACY_DATA_SET) =>
  `${modelDir(id, data)}/model.json`;

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
  /** The data set it was trained on; absent on mnist-10k's cards, which predate the others. */
  dataSet: z.string().optional(),
  /** On the validation split; the full data sets' cards only. */
  validationAccuracy: z.number().optional(),
});
export type ModelCard = z.infer<typeof modelCardSchema>;

export async function loadModelCard(
  read: AssetReader,
  id: ShippedModelId,
  data: DataSetId = LEGACY_DATA_SET,
): Promise<ModelCard> {
  const path = `${modelDir(id, data)}/card.json`;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(await read(path)));
  } catch (err) {
    throw new AssetError(err instanceof AssetError ? err.message : `${path} is not valid JSON`);
  }
  const parsed = modelCardSchema.safeParse(json);
  if (!parsed.success) throw new AssetError(`${path} is not a model card`);
  // mnist-10k's cards predate the field; every card the lab hands out names its data set.
  return { ...parsed.data, dataSet: parsed.data.dataSet ?? data };
}

/** The data set a card's figures are on (cards without the field are mnist-10k's). */
export const cardDataSet = (card: ModelCard): string => card.dataSet ?? LEGACY_DATA_SET;

/** The cards of the weights trained on `data`, in the catalog's order. */
export const cardsOn = (cards: readonly ModelCard[], data: DataSetId): ModelCard[] =>
  cards.filter((card) => cardDataSet(card) === data);

/**
 * The card of model `id` as trained on `data`; else its mnist-10k card (every shipped model has
 * one), so a picker can still describe the architecture. `onData` says which it is.
 */
export function cardFor(
  cards: readonly ModelCard[],
  id: string,
  data: DataSetId,
): { readonly card: ModelCard; readonly onData: boolean } | undefined {
  const exact = cards.find((c) => c.id === id && cardDataSet(c) === data);
  if (exact) return { card: exact, onData: true };
  const legacy = cards.find((c) => c.id === id && cardDataSet(c) === LEGACY_DATA_SET);
  return legacy ? { card: legacy, onData: false } : undefined;
}
