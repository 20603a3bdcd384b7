/**
 * The share link: one declarative, versioned table of every property that lives in the URL
 * (in the spirit of TF Playground's state table). "recipe" properties decide the numbers and
 * form the canonical recipe text; "ui" properties only shape the page (preferred backend,
 * controls a teacher hides). The whole state sits in the URL hash, which never reaches a server.
 */
import { BACKENDS, type BackendChoice } from '../backend-names.ts';
import { LEGACY_DATA_SET, type DataSetId } from '../data/datasets.ts';
import { RecipeError } from './errors.ts';
import { TECHNIQUE_SPECS } from '../techniques/catalog.ts';
import { getTour, getTourStep, tourStepRecipe } from '../tours.ts';
import {
  DEFAULT_RECIPE,
  RECIPE_VERSION,
  RECIPE_VERSIONS,
  formatSteps,
  parseSteps,
  recipeVersionOf,
  validateDataSet,
  validateModel,
  validateSeed,
  validateVersion,
  type Recipe,
  type RecipeVersion,
} from './recipe.ts';

/** The page's own controls a shared link may hide; every technique adds its id. */
export const PAGE_CONTROLS = ['model', 'data', 'backend', 'seed', 'steps', 'history'] as const;

/**
 * Controls a shared link may hide, e.g. `hide=backend,model` for a classroom exercise: the
 * page's own, then one per technique (its controls in every step of that technique).
 */
export const HIDEABLE_CONTROLS: readonly string[] = [
  ...PAGE_CONTROLS,
  ...TECHNIQUE_SPECS.map((t) => t.id),
];
export type HideableControl = string;

/** The longest link state the lab reads; longer text is refused before it is parsed. */
export const MAX_STATE_TEXT = 10_000;

/** What the accuracy plot puts on its x axis (the other is drawn as the points' area). */
export const PLOT_AXES = ['size', 'latency'] as const;
export type PlotAxis = (typeof PLOT_AXES)[number];

export interface UiState {
  readonly backend: BackendChoice;
  readonly hide: readonly HideableControl[];
  /** The guided tour the page is on (engine/tours.ts) and its step, 1-based; absent: none. */
  readonly tour?: string;
  readonly tourStep?: number;
  /** The accuracy plot's x axis; absent means stored size. */
  readonly plot?: PlotAxis;
}

export interface ShareState {
  readonly recipe: Recipe;
  readonly ui: UiState;
}

export const DEFAULT_UI: UiState = { backend: 'auto', hide: [] };
export const DEFAULT_SHARE_STATE: ShareState = { recipe: DEFAULT_RECIPE, ui: DEFAULT_UI };

interface UrlProperty<S extends 'recipe' | 'ui', K extends string, V> {
  readonly name: string;
  readonly scope: S;
  readonly key: K;
  readonly parse: (text: string) => V;
  readonly format: (value: V) => string;
  /**
   * Recipe properties are always written, so a recipe text is complete on its own; but `data`,
   * which is absent from every link made before data sets (they mean mnist-10k).
   */
  readonly omitWhen?: (value: V) => boolean;
}

const recipeProperties = [
  {
    name: 'model',
    scope: 'recipe',
    key: 'model',
    parse: (text: string) => validateModel(text),
    format: (value: string) => value,
  } satisfies UrlProperty<'recipe', 'model', string>,
  {
    name: 'data',
    scope: 'recipe',
    key: 'data',
    parse: (text: string): DataSetId | undefined => {
      const data = validateDataSet(text);
      return data === LEGACY_DATA_SET ? undefined : data;
    },
    format: (value: DataSetId | undefined) => value ?? LEGACY_DATA_SET,
    omitWhen: (value: DataSetId | undefined) => value === undefined,
  } satisfies UrlProperty<'recipe', 'data', DataSetId | undefined>,
  {
    name: 'seed',
    scope: 'recipe',
    key: 'seed',
    parse: (text: string) => {
      if (!/^\d{1,10}$/.test(text)) {
        throw new RecipeError(
          `seed must be a whole number from 0 to ${2 ** 31 - 1} (got "${text.slice(0, 20)}")`,
        );
      }
      return validateSeed(Number(text));
    },
    format: (value: number) => String(value),
  } satisfies UrlProperty<'recipe', 'seed', number>,
  {
    name: 'steps',
    scope: 'recipe',
    key: 'steps',
    parse: (text: string) => parseSteps(text),
    format: formatSteps,
  } satisfies UrlProperty<'recipe', 'steps', Recipe['steps']>,
] as const;

const uiProperties = [
  {
    name: 'backend',
    scope: 'ui',
    key: 'backend',
    parse: (text: string): BackendChoice => {
      if (text === 'auto' || (BACKENDS as readonly string[]).includes(text))
        return text as BackendChoice;
      throw new RecipeError(
        `backend must be one of auto, ${BACKENDS.join(', ')} (got "${text.slice(0, 20)}")`,
      );
    },
    format: (value: BackendChoice) => value,
    omitWhen: (value: BackendChoice) => value === 'auto',
  } satisfies UrlProperty<'ui', 'backend', BackendChoice>,
  {
    name: 'hide',
    scope: 'ui',
    key: 'hide',
    parse: (text: string): HideableControl[] => {
      const items = text.split(',').filter(Boolean);
      for (const [i, item] of items.entries()) {
        if (!HIDEABLE_CONTROLS.includes(item)) {
          throw new RecipeError(
            `hide lists unknown control "${item.slice(0, 20)}" (known: ${HIDEABLE_CONTROLS.join(', ')})`,
          );
        }
        if (items.indexOf(item) !== i) throw new RecipeError(`hide lists "${item}" twice`);
      }
      return items;
    },
    format: (value: readonly HideableControl[]) => value.join(','),
    omitWhen: (value: readonly HideableControl[]) => value.length === 0,
  } satisfies UrlProperty<'ui', 'hide', readonly HideableControl[]>,
  {
    name: 'tour',
    scope: 'ui',
    key: 'tour',
    parse: (text: string): string | undefined => getTour(text).id,
    format: (value: string | undefined) => value ?? '',
    omitWhen: (value: string | undefined) => value === undefined,
  } satisfies UrlProperty<'ui', 'tour', string | undefined>,
  {
    name: 'step',
    scope: 'ui',
    key: 'tourStep',
    parse: (text: string): number | undefined => {
      if (!/^\d{1,3}$/.test(text)) {
        throw new RecipeError(`step must be a tour step number (got "${text.slice(0, 20)}")`);
      }
      return Number(text);
    },
    format: (value: number | undefined) => String(value ?? ''),
    omitWhen: (value: number | undefined) => value === undefined,
  } satisfies UrlProperty<'ui', 'tourStep', number | undefined>,
  {
    name: 'plot',
    scope: 'ui',
    key: 'plot',
    parse: (text: string): PlotAxis => {
      if ((PLOT_AXES as readonly string[]).includes(text)) return text as PlotAxis;
      throw new RecipeError(
        `plot must be one of ${PLOT_AXES.join(', ')} (got "${text.slice(0, 20)}")`,
      );
    },
    format: (value: PlotAxis | undefined) => value ?? 'size',
    omitWhen: (value: PlotAxis | undefined) => value === undefined || value === 'size',
  } satisfies UrlProperty<'ui', 'plot', PlotAxis | undefined>,
] as const;

/** The table itself, in URL order; `v` (the format version) always comes first. */
export const URL_PROPERTIES = [...recipeProperties, ...uiProperties] as const;

/** Pulls the state part out of a full share URL, a "#..." or "?..." fragment, or bare text. */
export function extractStateText(input: string): string {
  let text = input.trim();
  const hash = text.indexOf('#');
  if (hash >= 0) text = text.slice(hash + 1);
  else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    const query = text.indexOf('?');
    text = query >= 0 ? text.slice(query + 1) : '';
  } else if (text.startsWith('?')) text = text.slice(1);
  return text;
}

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new RecipeError(`"${text.slice(0, 30)}" is not validly URL-encoded`);
  }
}

/** A recipe's data field: absent for mnist-10k, the data set of links made before data sets. */
const dataField = (data: DataSetId | undefined) => (data === undefined ? {} : { data });

/**
 * Parses share-link text strictly: any unknown key, duplicate, bad value or unknown version is
 * a RecipeError with a message for the user. Missing properties take their defaults.
 */
export function parseShareState(input: string): ShareState {
  if (input.length > MAX_STATE_TEXT) {
    throw new RecipeError(`the link is too long (at most ${MAX_STATE_TEXT} characters)`);
  }
  const text = extractStateText(input);
  const values = new Map<string, string>();
  for (const pair of text.split('&').filter(Boolean)) {
    const eq = pair.indexOf('=');
    const key = decodeComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decodeComponent(pair.slice(eq + 1));
    if (values.has(key)) throw new RecipeError(`"${key.slice(0, 20)}" appears twice in the link`);
    values.set(key, value);
  }
  const versionText = values.get('v');
  const version =
    versionText === undefined
      ? undefined
      : validateVersion(RECIPE_VERSIONS.find((v) => String(v) === versionText) ?? versionText);
  values.delete('v');
  const known = new Set<string>(URL_PROPERTIES.map((p) => p.name));
  for (const key of values.keys()) {
    if (!known.has(key))
      throw new RecipeError(`the link has an unknown setting "${key.slice(0, 20)}"`);
  }
  const read = <V>(p: { name: string; parse: (t: string) => V }, fallback: V): V => {
    const raw = values.get(p.name);
    return raw === undefined ? fallback : p.parse(raw);
  };
  const [model, data, seed, steps] = recipeProperties;
  const [backend, hide, tourProperty, stepProperty, plot] = uiProperties;
  // A tour step's link may carry only tour= and step=: its recipe then comes from the tour.
  const tour = read(tourProperty, undefined);
  let tourStep = read(stepProperty, undefined);
  if (tour === undefined && tourStep !== undefined) {
    throw new RecipeError('the link has a tour step but no tour (add tour=<id>)');
  }
  let defaults = DEFAULT_RECIPE;
  if (tour !== undefined) {
    tourStep ??= 1;
    defaults = tourStepRecipe(getTourStep(getTour(tour), tourStep));
  }
  // A link that names a recipe but no data set was made before data sets: it means mnist-10k.
  // Without a recipe (the page opened bare, a tour step) the defaults' data set holds.
  const namesRecipe =
    tour === undefined &&
    (version !== undefined || [model, seed, steps].some((p) => values.has(p.name)));
  // The link's own version; without one, a tour's recipe keeps the tour's, any other is new.
  const recipeVersion: RecipeVersion = version ?? recipeVersionOf(defaults);
  return {
    recipe: {
      model: read(model, defaults.model),
      ...dataField(read(data, namesRecipe ? undefined : defaults.data)),
      seed: read(seed, defaults.seed),
      steps: read(steps, defaults.steps),
      ...(recipeVersion === RECIPE_VERSION ? {} : { version: recipeVersion }),
    },
    ui: {
      backend: read(backend, DEFAULT_UI.backend),
      hide: read(hide, DEFAULT_UI.hide),
      ...(tour === undefined ? {} : { tour, tourStep }),
      ...(values.has(plot.name) ? { plot: read(plot, undefined) } : {}),
    },
  };
}

/**
 * The link of a tour step: tour= and step= with the page settings of `ui` (backend, hide), so a
 * class keeps its hidden controls from step to step; the recipe comes from the tour.
 */
export function tourStepLink(ui: UiState, tour: string, step: number): string {
  // The version of the tour step's recipe, so the link reads back the numbers the tour shows.
  const parts = [`v=${recipeVersionOf(tourStepRecipe(getTourStep(getTour(tour), step)))}`];
  const withTour: UiState = { ...ui, tour, tourStep: step };
  for (const p of uiProperties) {
    const value = withTour[p.key];
    if ((p.omitWhen as (v: unknown) => boolean)(value)) continue;
    parts.push(`${p.name}=${encodeValue((p.format as (v: unknown) => string)(value))}`);
  }
  return parts.join('&');
}

export type ShareParseResult =
  | { readonly ok: true; readonly state: ShareState }
  | { readonly ok: false; readonly error: string; readonly state: ShareState };

/** Like parseShareState, but never throws: a bad link yields the defaults and a message. */
export function tryParseShareState(input: string): ShareParseResult {
  try {
    return { ok: true, state: parseShareState(input) };
  } catch (err) {
    if (err instanceof RecipeError)
      return { ok: false, error: err.message, state: DEFAULT_SHARE_STATE };
    throw err;
  }
}

// Keep the separators readable in links; everything else a value may hold is escaped.
const encodeValue = (value: string) =>
  encodeURIComponent(value)
    .replace(/%28/g, '(')
    .replace(/%29/g, ')')
    .replace(/%2C/g, ',')
    .replace(/%3B/g, ';')
    .replace(/%3D/g, '=')
    .replace(/%2F/g, '/')
    .replace(/%7C/g, '|')
    .replace(/%3A/g, ':')
    .replace(/%2A/g, '*');

/** The link text of a state; `v` is the recipe's own version, so an old link stays as it was. */
export function formatShareState(state: ShareState): string {
  const parts = [`v=${recipeVersionOf(state.recipe)}`];
  for (const p of recipeProperties) {
    const omitWhen = 'omitWhen' in p ? (p.omitWhen as (v: unknown) => boolean) : undefined;
    if (omitWhen?.(state.recipe[p.key])) continue;
    parts.push(
      `${p.name}=${encodeValue((p.format as (v: unknown) => string)(state.recipe[p.key]))}`,
    );
  }
  for (const p of uiProperties) {
    const value = state.ui[p.key];
    if ((p.omitWhen as (v: unknown) => boolean)(value)) continue;
    parts.push(`${p.name}=${encodeValue((p.format as (v: unknown) => string)(value))}`);
  }
  return parts.join('&');
}

/** The canonical recipe text: the recipe properties only. */
export function formatRecipe(recipe: Recipe): string {
  return formatShareState({ recipe, ui: DEFAULT_UI });
}

/** Parses a recipe text or share URL into a validated recipe (UI properties are ignored). */
export function parseRecipe(input: string): Recipe {
  return parseShareState(input).recipe;
}

export function shareUrl(labUrl: string, state: ShareState): string {
  const base = labUrl.replace(/#.*$/, '');
  return `${base}#${formatShareState(state)}`;
}
