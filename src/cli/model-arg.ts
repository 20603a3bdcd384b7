/** Whether a model named on the command line (or by a recipe) is one the CLI can load. */
import { existsSync } from 'node:fs';
import { isShippedModel, SHIPPED_MODELS } from '../engine/model/shipped.ts';
import { UsageError } from './errors.ts';

const looksLikePath = (model: string) =>
  model.includes('/') || /\.(json|onnx)$/i.test(model) || existsSync(model);

/** `fromLink`: the name came from a recipe or link, which may only name shipped models. */
export function checkModel(model: string, fromLink: boolean): void {
  if (isShippedModel(model)) return;
  if (fromLink) {
    // A link only ever names shipped models: a path must come from --model, typed by the user.
    throw new UsageError(
      `the recipe names model "${model.slice(0, 60)}", which is not shipped (${SHIPPED_MODELS.join(', ')}); give a model file with --model`,
    );
  }
  if (!looksLikePath(model)) {
    throw new UsageError(
      `unknown model "${model}": use ${SHIPPED_MODELS.join(', ')} or a path to a model.json, a compact model file or an ONNX model (.onnx)`,
    );
  }
}
