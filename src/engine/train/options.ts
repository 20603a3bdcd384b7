/** Training choices as plain data (no tfjs), so the page can declare controls for them. */
export const OPTIMIZERS = ['sgd', 'momentum', 'adam'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

export const TRAINABLE_LAYERS = ['all', 'conv', 'dense'] as const;
export type TrainableLayers = (typeof TRAINABLE_LAYERS)[number];
