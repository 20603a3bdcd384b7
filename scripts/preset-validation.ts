/**
 * `npx tsx scripts/preset-validation.ts --model M --data D --preset P [--seed S] [--steps TEXT]`:
 * the validation accuracy (never the test split) of a preset's result, or of any steps, beside
 * the base model's: what a preset's settings are chosen by on the standard data sets. Prints one
 * JSON line. wasm backend.
 */
import { parseArgs } from 'node:util';
import { isDataSetId } from '../src/engine/data/datasets.ts';
import { Lab } from '../src/engine/lab.ts';
import { accuracyOn } from '../src/engine/lab/measurement.ts';
import type { LayerGraph } from '../src/engine/model/graph.ts';
import { fileAssetReader } from '../src/engine/node/assets.ts';
import { useNodeBackend } from '../src/engine/node/backend.ts';
import { formatSteps, parseSteps, type Recipe } from '../src/engine/recipe/recipe.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    data: { type: 'string', default: 'mnist' },
    preset: { type: 'string' },
    steps: { type: 'string' },
    seed: { type: 'string', default: '1' },
  },
});
const data = values.data!;
if (!values.model || !isDataSetId(data) || !values.preset === !values.steps) {
  console.error('usage: --model M --data D (--preset P | --steps TEXT) [--seed S]');
  process.exit(1);
}
await useNodeBackend('wasm');
const lab = new Lab({ read: fileAssetReader() });
const validation = await lab.checkDigits(data);
const accuracyOf = (graph: LayerGraph) => accuracyOn(graph, validation);
const steps = values.preset
  ? await lab.expandPreset(values.model, values.preset, data)
  : parseSteps(values.steps!);
const recipe: Recipe = { model: values.model, data, seed: Number(values.seed), steps };
const started = performance.now();
const graph = await lab.graphOf(recipe);
console.log(
  JSON.stringify({
    model: values.model,
    data,
    seed: recipe.seed,
    steps: formatSteps(steps),
    validationImages: validation.count,
    baselineValidation: await accuracyOf(await lab.baseGraph(values.model, data)),
    validation: await accuracyOf(graph),
    density: graph.nonzeroParams / graph.params,
    seconds: Math.round((performance.now() - started) / 1000),
  }),
);
await lab.dispose();
