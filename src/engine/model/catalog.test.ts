import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DATA_SET_IDS } from '../data/datasets.ts';
import { loadDataSplit } from '../data/load.ts';
import { evaluateAccuracy } from '../measure/accuracy.ts';
import { PUBLIC_DIR } from '../node/assets.ts';
import { useNodeBackend } from '../node/backend.ts';
import { publicAssets } from '../test/fixtures.ts';
import { inputShapeOf, predictorOf } from '../train/train.ts';
import {
  loadModelCard,
  MissingWeightsError,
  modelJsonPath,
  SHIPPED_MODELS,
  SHIPPED_WEIGHTS,
} from './catalog.ts';
import { modelFromArtifacts, readModelArtifacts } from './load.ts';

/** The (data set, model) pairs trained on a full training split (not mnist-10k's). */
const fullSetPairs = DATA_SET_IDS.filter((data) => data !== 'mnist-10k').flatMap((data) =>
  SHIPPED_WEIGHTS[data].map((id) => ({ data, id })),
);

describe('where the shipped weights live', () => {
  it("keeps mnist-10k's six models where every link made so far reads them", () => {
    expect(SHIPPED_WEIGHTS['mnist-10k']).toEqual(SHIPPED_MODELS);
    expect(modelJsonPath('lenet5')).toBe('models/lenet5/model.json');
    expect(modelJsonPath('nin', 'mnist-10k')).toBe('models/nin/model.json');
  });

  it('puts the full data sets’ models in a folder per data set, and every listed pair is on disk', () => {
    for (const { data, id } of fullSetPairs) {
      expect(modelJsonPath(id, data)).toBe(`models/${data}/${id}/model.json`);
      for (const file of ['model.json', 'weights.bin', 'card.json']) {
        expect(existsSync(join(PUBLIC_DIR, 'models', data, id, file))).toBe(true);
      }
    }
  });

  it('refuses a pair without weights, naming what exists', async () => {
    const error = (() => {
      try {
        modelJsonPath('resnext', 'fashion-mnist');
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(MissingWeightsError);
    const fashion = SHIPPED_WEIGHTS['fashion-mnist'];
    expect((error as Error).message).toBe(
      `no trained resnext for fashion-mnist in this build (fashion-mnist has ${
        fashion.length ? fashion.join(', ') : 'no trained models'
      }; resnext is trained on mnist-10k)`,
    );
    await expect(loadModelCard(publicAssets, 'resnext', 'fashion-mnist')).rejects.toThrow(
      MissingWeightsError,
    );
    expect(() => modelJsonPath('lenet5', 'cifar10' as 'mnist')).toThrow(
      'unknown data set "cifar10" (known: mnist, fashion-mnist, mnist-10k)',
    );
  });
});

describe('the full data sets’ model cards', () => {
  beforeAll(async () => {
    await useNodeBackend('wasm');
  });

  // The card's figure came from `npm run train`; here the saved files are read back as the lab
  // reads them and scored on the whole test split again.
  it.each(fullSetPairs)(
    '$id on $data scores its card’s test accuracy on the 10,000 test images',
    async ({ data, id }) => {
      const card = await loadModelCard(publicAssets, id, data);
      expect(card.dataSet).toBe(data);
      expect(card.splits).toEqual({ train: 55_000, validation: 5_000, test: 10_000 });
      const model = await modelFromArtifacts(
        await readModelArtifacts(publicAssets, modelJsonPath(id, data)),
        id,
      );
      const test = await loadDataSplit(publicAssets, data, 'test');
      const { accuracy } = await evaluateAccuracy(predictorOf(model), test, inputShapeOf(model));
      model.dispose();
      expect(accuracy).toBeCloseTo(card.testAccuracy, 4);
    },
  );
});
