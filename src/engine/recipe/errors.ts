import { oneLine } from '../util/one-line.ts';

/** A problem with a recipe or share link, phrased for the person who wrote it. */
export class RecipeError extends Error {
  constructor(message: string) {
    super(oneLine(message));
    this.name = 'RecipeError';
  }
}
