/** Shared set-up for engine tests in Node: the shipped digits and models, on a chosen backend. */
import { fileAssetReader } from '../node/assets.ts';

export const publicAssets = fileAssetReader();
