/**
 * A user's own labelled images, platform free: what the Node reader (engine/node/image-folder.ts,
 * readUserDataSet) is built on, for the page to reuse with the browser's own image decoders.
 * Decode each image to channels-last uint8, collect them as LabelledImages (or parse a NumPy
 * pair with labelledImagesFromNpy), then assembleUserDataSet cuts the splits, records the spec
 * and computes the hash.
 */
export {
  assembleUserDataSet,
  checkUserDataOptions,
  resizeLabelledImages,
  type UserDataOptions,
  type UserDataPools,
  type UserDataSet,
} from './assemble.ts';
export { compareCodePoints, parseClassesText } from './classes.ts';
export { USER_DATA_CAPS, UserDataError } from './errors.ts';
export { labelledImagesFromNpy, type LabelledImages } from './labelled.ts';
export { parseNpy, parseNpyHeader } from './npy.ts';
export { resizeImage, type Interpolation } from './resize.ts';
export { pixelTransform, userDataHash, type ResizeSpec, type UserDataSetSpec } from './spec.ts';
export { DEFAULT_FRACTIONS, stratifiedSplit, type SplitFractions } from './stratify.ts';
