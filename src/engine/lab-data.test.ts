/**
 * The lab on the standard data sets: a recipe's data set decides the weights, the test images
 * it is reported on, the validation images its steps choose on, and the paired comparison with
 * its baseline. Expected values come from outside the lab: the shipped model run by tfjs
 * itself on the data set's files, lost/gained counted here, p summed from the binomial here.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { digitsToTensor } from './data/batches.ts';
import { loadDataSplit } from './data/load.ts';
import type { DigitSplit } from './data/digits.ts';
import { Lab } from './lab.ts';
import { checkFitsDataSet } from './lab/loading.ts';
import { dataSetInfo } from './data/datasets.ts';
import { evaluateAccuracy } from './measure/accuracy.ts';
import { loadModelCard, modelJsonPath } from './model/catalog.ts';
import { LayerGraph } from './model/graph.ts';
import { modelFromArtifacts, readModelArtifacts } from './model/load.ts';
import { createPredictor } from './model/program.ts';
import { useNodeBackend } from './node/backend.ts';
import { parseRecipe } from './recipe/share.ts';
import { publicAssets } from './test/fixtures.ts';

const lab = new Lab({ read: publicAssets, latencyWindowMs: 20, latencyMinSamples: 3 });

beforeAll(async () => {
  await useNodeBackend('wasm');
});

/** Each image's class from the shipped tfjs model itself (not the lab's graph or kernels). */
async function tfjsClasses(path: string, split: DigitSplit): Promise<Int32Array> {
  const model = await modelFromArtifacts(await readModelArtifacts(publicAssets, path), path);
  try {
    const shape = model.inputs[0].shape.slice(1) as number[];
    const classes = tf.tidy(() =>
      (model.predict(digitsToTensor(split, 0, split.count, shape)) as tf.Tensor).argMax(-1),
    );
    const data = (await classes.data()) as Int32Array;
    classes.dispose();
    return data;
  } finally {
    model.dispose();
  }
}

/** McNemar's exact two-sided p-value, summed term by term from the binomial (b + c small). */
function binomialTwoSided(b: number, c: number): number {
  const n = b + c;
  let choose = 1;
  let tail = 0;
  for (let i = 0; i <= Math.min(b, c); i++) {
    tail += choose / 2 ** n;
    choose = (choose * (n - i)) / (i + 1);
  }
  return Math.min(1, 2 * tail);
}

describe('Lab on mnist (wasm)', () => {
  it("reports on MNIST's 10,000 test digits against the model trained on mnist, paired image by image", async () => {
    const test = await loadDataSplit(publicAssets, 'mnist', 'test');
    const baseClasses = await tfjsClasses(modelJsonPath('lenet300', 'mnist'), test);
    const card = await loadModelCard(publicAssets, 'lenet300', 'mnist');

    const result = await lab.run(
      parseRecipe('v=2&model=lenet300&data=mnist&seed=1&steps=prune(fraction=0.9)'),
    );
    expect(result.data).toBe('mnist');
    expect(result.total).toBe(10_000);
    let baseCorrect = 0;
    for (let i = 0; i < test.count; i++) if (baseClasses[i] === test.labels[i]) baseCorrect++;
    expect(result.baselineAccuracy).toBe(baseCorrect / 10_000);
    expect(baseCorrect / 10_000).toBeCloseTo(card.testAccuracy, 4);

    // The run's own answers agree with its count; lost and gained are counted here.
    const ours = result.predicted!;
    let correct = 0;
    let lost = 0;
    let gained = 0;
    for (let i = 0; i < test.count; i++) {
      const baseRight = baseClasses[i] === test.labels[i];
      const ourRight = ours[i] === test.labels[i];
      if (ourRight) correct++;
      if (baseRight && !ourRight) lost++;
      if (!baseRight && ourRight) gained++;
    }
    expect(correct).toBe(result.correct);
    expect(result.paired).toEqual({ lost, gained, pValue: binomialTwoSided(lost, gained) });
    expect(result.correct - baseCorrect).toBe(gained - lost);
  });

  it('an unchanged model is its own baseline: nothing lost, nothing gained, p = 1', async () => {
    const result = await lab.run(parseRecipe('v=2&model=lenet5&data=mnist&seed=1&steps='));
    expect(result.paired).toEqual({ lost: 0, gained: 0, pValue: 1 });
    expect(result.total).toBe(10_000);
  });

  it('steps choose on the validation split, never the test split', async () => {
    // iterative-prune reports its accuracy on the images its context checks on.
    const result = await lab.run(
      parseRecipe(
        'v=2&model=lenet300&data=mnist&seed=1&steps=iterative-prune(density=*:0.2,rounds=1,epochs=1,batches=2)',
      ),
    );
    const report = result.steps[0].report as { rounds: { checkAccuracy: number }[] };
    const graph = await lab.graphOf(result.recipe);
    const on = async (split: DigitSplit) => {
      const predictor = createPredictor(graph);
      try {
        return (await evaluateAccuracy(predictor.predict, split, graph.inputShape)).accuracy;
      } finally {
        predictor.dispose();
      }
    };
    const validation = await loadDataSplit(publicAssets, 'mnist', 'validation');
    expect(validation.count).toBe(5000);
    expect(report.rounds[0].checkAccuracy).toBe(await on(validation));
    expect(report.rounds[0].checkAccuracy).not.toBe(result.accuracy);
  });

  it('refuses a shipped model without weights for the data set, naming both', async () => {
    await expect(
      lab.run(parseRecipe('v=2&model=squeezenet&data=mnist&seed=1&steps=')),
    ).rejects.toThrow(
      /no trained squeezenet for mnist in this build \(mnist has lenet300, lenet5;/,
    );
  });

  it('refuses a network whose classes do not match the data set, naming both', async () => {
    const five = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [784], units: 5, activation: 'softmax' })],
    });
    const graph = await LayerGraph.fromModel(five);
    five.dispose();
    expect(() => checkFitsDataSet(graph, dataSetInfo('fashion-mnist'), 'five.json')).toThrow(
      'five.json maps [784] to [5], but data set fashion-mnist has 28x28x1 images in 10 classes',
    );
  });
});

describe('Lab.cards', () => {
  it("hands out one card per shipped set of weights, each with its own data set's figures", async () => {
    const cards = await lab.cards();
    const read = async (path: string) =>
      JSON.parse(new TextDecoder().decode(await publicAssets(path))) as { testAccuracy: number };
    const fashionLenet5 = cards.find((c) => c.id === 'lenet5' && c.dataSet === 'fashion-mnist');
    const legacyLenet5 = cards.find((c) => c.id === 'lenet5' && c.dataSet === 'mnist-10k');
    expect(fashionLenet5?.testAccuracy).toBe(
      (await read('models/fashion-mnist/lenet5/card.json')).testAccuracy,
    );
    expect(legacyLenet5?.testAccuracy).toBe((await read('models/lenet5/card.json')).testAccuracy);
    // Six designs on mnist-10k, and the full sets' own baselines (public/models/<set>/).
    expect(cards.filter((c) => c.dataSet === 'mnist-10k')).toHaveLength(6);
    expect(
      cards
        .filter((c) => c.dataSet === 'mnist')
        .map((c) => c.id)
        .sort(),
    ).toEqual(['lenet300', 'lenet5']);
  });
});
