// The ids of the shipped models, free of heavy imports (the CLI's help lists them).

/** The baselines shipped under public/models/<id>/, trained by `npm run train`. */
export const SHIPPED_MODELS = [
  'lenet5',
  'lenet300',
  'nin',
  'squeezenet',
  'inception',
  'resnext',
] as const;
export type ShippedModelId = (typeof SHIPPED_MODELS)[number];

export function isShippedModel(id: string): id is ShippedModelId {
  return (SHIPPED_MODELS as readonly string[]).includes(id);
}
