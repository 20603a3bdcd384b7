/**
 * Sweep grids: recipe steps whose numeric parameters may hold ranges `from..to:step`, e.g.
 *
 *   prune(fraction=0.5..0.99:0.01)
 *   finetune(epochs=1);kmeans(bits=*:5,init=linear);prune(fraction=0.5..0.9:0.1)
 *
 * A range is inclusive of `to` when it lands on the grid. Several ranges make the product of
 * their values, the first range outermost, so a grid's points have one fixed order, which the
 * CLI's `--shard i/n` slices and its JSONL lines carry as `sweep.index`. Every value is checked
 * against its parameter's declaration (bounds, step) before anything runs. Values are computed
 * in whole units of the finest decimal involved, so 0.5 + 49 x 0.01 is 0.99, not 0.9899999.
 */
import { findTechniqueSpec } from '../techniques/catalog.ts';
import type { IntegerParamSpec, NumberParamSpec } from '../techniques/technique.ts';
import { RecipeError } from './errors.ts';
import { MAX_STEPS_TEXT, parseNumber, parseSteps, type RecipeStep } from './recipe.ts';

/** The most points one grid may have (one CLI process or one shard list). */
export const MAX_GRID_POINTS = 10_000;
/** Decimals beyond this are refused: whole-unit arithmetic must stay exact in a double. */
const MAX_DECIMALS = 9;

/** One swept parameter. */
export interface GridAxis {
  /** 0-based position of the step in the grid text. */
  readonly stepIndex: number;
  readonly technique: string;
  readonly param: string;
  readonly from: number;
  readonly to: number;
  readonly step: number;
  readonly values: readonly number[];
}

/** One recipe of the grid: its place in grid order and the value of each axis. */
export interface GridPoint {
  readonly index: number;
  readonly values: readonly number[];
  readonly steps: readonly RecipeStep[];
}

export interface Grid {
  readonly axes: readonly GridAxis[];
  readonly size: number;
  /** The point at `index` (0 <= index < size), its steps parsed and validated. */
  point(index: number): GridPoint;
}

/** Decimal places a number needs to be written exactly (0.01 -> 2, 5 -> 0, 1e-4 -> 4). */
function decimalsOf(value: number): number {
  for (let d = 0; d <= MAX_DECIMALS; d++) {
    if (Number(value.toFixed(d)) === value) return d;
  }
  return Infinity;
}

/** How many values `from..to:step` holds; validates the range's own shape. */
function rangeUnits(from: number, to: number, step: number, what: string) {
  if (![from, to, step].every(Number.isFinite)) {
    throw new RecipeError(`${what}: from, to and step must all be numbers`);
  }
  if (!(step > 0)) throw new RecipeError(`${what}: the step must be above 0 (got ${step})`);
  if (from > to) throw new RecipeError(`${what}: from (${from}) is above to (${to})`);
  const decimals = Math.max(decimalsOf(from), decimalsOf(to), decimalsOf(step));
  if (decimals > MAX_DECIMALS) {
    throw new RecipeError(`${what}: at most ${MAX_DECIMALS} decimals`);
  }
  const scale = 10 ** decimals;
  const units = { from: Math.round(from * scale), to: Math.round(to * scale) };
  const stepUnits = Math.round(step * scale);
  if (!Number.isSafeInteger(units.from) || !Number.isSafeInteger(units.to)) {
    throw new RecipeError(`${what}: the numbers are too large`);
  }
  const count = Math.floor((units.to - units.from) / stepUnits) + 1;
  return { scale, fromUnits: units.from, stepUnits, count };
}

/** How many values a range holds, without making them. */
export function rangeCount(from: number, to: number, step: number, what = 'range'): number {
  return rangeUnits(from, to, step, what).count;
}

/** The values of `from..to:step`, ascending, `to` included when it lands on the grid. */
export function expandRange(from: number, to: number, step: number, what = 'range'): number[] {
  const { scale, fromUnits, stepUnits, count } = rangeUnits(from, to, step, what);
  // Whole units divided once: the double nearest the decimal, as parsing its text would give.
  return Array.from({ length: count }, (_, i) => {
    const value = (fromUnits + i * stepUnits) / scale;
    return value === 0 ? 0 : value;
  });
}

const onGrid = (value: number, step: number) => {
  const d = Math.max(decimalsOf(value), decimalsOf(step));
  if (d > MAX_DECIMALS) return false;
  const scale = 10 ** d;
  return Math.round(value * scale) % Math.round(step * scale) === 0;
};

/**
 * Checks a range on one parameter of one technique: a number or whole-number parameter, both
 * ends within its bounds, values on its step. Returns the values.
 */
export function checkedRange(
  technique: string,
  param: string,
  from: number,
  to: number,
  step: number,
  maxPoints = MAX_GRID_POINTS,
): number[] {
  const what = `${technique} ${param}=${from}..${to}:${step}`;
  const tech = findTechniqueSpec(technique);
  if (!tech) throw new RecipeError(`unknown technique "${technique.slice(0, 30)}"`);
  const spec = tech.params.find((p) => p.name === param);
  if (!spec) {
    throw new RecipeError(
      `${technique} has no parameter "${param.slice(0, 30)}" (it takes: ${tech.params.map((p) => p.name).join(', ') || 'nothing'})`,
    );
  }
  if (spec.type !== 'number' && spec.type !== 'integer') {
    const kind = spec.type === 'perLayer' ? 'per-layer values' : `a ${spec.type}`;
    throw new RecipeError(
      `${what}: a range needs a number parameter, and ${technique} ${param} takes ${kind}`,
    );
  }
  const numeric: NumberParamSpec | IntegerParamSpec = spec;
  const count = rangeCount(from, to, step, what);
  if (count > maxPoints) {
    throw new RecipeError(`${what}: ${count} values, more than the ${maxPoints} a sweep may have`);
  }
  if (from < numeric.min || to > numeric.max) {
    throw new RecipeError(
      `${what}: ${technique} ${param} must be between ${numeric.min} and ${numeric.max}`,
    );
  }
  const paramStep = numeric.type === 'integer' ? 1 : numeric.step;
  for (const [name, value] of [
    ['from', from],
    ['step', step],
  ] as const) {
    if (!onGrid(value, paramStep)) {
      throw new RecipeError(
        `${what}: ${name} ${value} is not a multiple of ${paramStep}, the step of ${technique} ${param}`,
      );
    }
  }
  return expandRange(from, to, step, what);
}

/** A range's text: `from..to:step`, numbers as the recipe grammar writes them. */
const RANGE = /^\s*([^.:\s][^:]*?)\.\.([^:]+):(.+?)\s*$/;

const isRangeText = (text: string) => text.includes('..');

interface Segment {
  /** Literal text, or the axis whose value goes here. */
  readonly text?: string;
  readonly axis?: number;
}

/**
 * Parses a grid: steps text where numeric parameters may be ranges. Every range is checked
 * (parameter type, bounds, step, the product's size) and the first point is parsed, so a
 * malformed grid fails here, before anything runs.
 */
export function parseGrid(text: string, maxPoints = MAX_GRID_POINTS): Grid {
  if (text.length > MAX_STEPS_TEXT) {
    throw new RecipeError(`the grid is too long (at most ${MAX_STEPS_TEXT} characters)`);
  }
  const axes: GridAxis[] = [];
  const segments: Segment[] = [];
  // Split the same way the recipe grammar does: steps by ";", parameters by ",". Only the
  // ranges are read here; everything else is left to parseSteps, per point.
  const stepTexts = text.trim().split(';');
  stepTexts.forEach((stepText, stepIndex) => {
    if (stepIndex > 0) segments.push({ text: ';' });
    const open = stepText.indexOf('(');
    const close = stepText.lastIndexOf(')');
    if (open < 0 || close < open || !isRangeText(stepText)) {
      segments.push({ text: stepText });
      return;
    }
    const technique = stepText.slice(0, open).trim();
    segments.push({ text: stepText.slice(0, open + 1) });
    stepText
      .slice(open + 1, close)
      .split(',')
      .forEach((arg, argIndex) => {
        if (argIndex > 0) segments.push({ text: ',' });
        const eq = arg.indexOf('=');
        const value = eq < 0 ? '' : arg.slice(eq + 1);
        if (!isRangeText(value)) {
          segments.push({ text: arg });
          return;
        }
        const param = arg.slice(0, eq).trim();
        const what = `step ${stepIndex + 1} ${technique} ${param}`;
        const match = RANGE.exec(value);
        if (!match) {
          throw new RecipeError(
            `${what}: "${value.trim().slice(0, 40)}" is not a range from..to:step (e.g. 0.5..0.99:0.01)`,
          );
        }
        const [from, to, step] = [match[1], match[2], match[3]].map((t, i) =>
          parseNumber(t, `${what} range ${['from', 'to', 'step'][i]}`),
        );
        const values = checkedRange(technique, param, from, to, step, maxPoints);
        segments.push({ text: `${arg.slice(0, eq)}=` }, { axis: axes.length });
        axes.push({ stepIndex, technique, param, from, to, step, values });
      });
    segments.push({ text: stepText.slice(close) });
  });
  const size = axes.reduce((n, axis) => n * axis.values.length, 1);
  if (size > maxPoints) {
    throw new RecipeError(
      `the grid has ${size} points (${axes.map((a) => a.values.length).join(' x ')}), more than the ${maxPoints} a sweep may have`,
    );
  }
  const valuesAt = (index: number): number[] => {
    const values = new Array<number>(axes.length);
    let rest = index;
    for (let a = axes.length - 1; a >= 0; a--) {
      const n = axes[a].values.length;
      values[a] = axes[a].values[rest % n];
      rest = Math.floor(rest / n);
    }
    return values;
  };
  const point = (index: number): GridPoint => {
    if (!Number.isInteger(index) || index < 0 || index >= size) {
      throw new RecipeError(`the grid has no point ${index} (it has ${size})`);
    }
    const values = valuesAt(index);
    const pointText = segments
      .map((s) => (s.axis === undefined ? s.text : String(values[s.axis])))
      .join('');
    return { index, values, steps: parseSteps(pointText) };
  };
  point(0); // the rest of the text: technique names, other parameters
  if (size > 1) point(size - 1);
  return { axes, size, point };
}

/** `--shard i/n`: shard i (counted from 0) of n. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

export function parseShard(text: string): Shard {
  const match = /^\s*(\d{1,6})\s*\/\s*(\d{1,6})\s*$/.exec(text);
  if (!match) throw new RecipeError(`a shard is i/n, e.g. 0/4 (got "${text.slice(0, 20)}")`);
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1) throw new RecipeError(`a shard count must be at least 1 (got ${count})`);
  if (index >= count) {
    throw new RecipeError(
      `shard ${index}/${count} does not exist: shards are counted from 0, so the last is ${count - 1}/${count}`,
    );
  }
  return { index, count };
}

/**
 * The grid indices shard i of n runs: every n-th point starting at i, in grid order. Strided
 * rather than in blocks, so points that cost more (higher sparsity fine-tuned longer, say)
 * spread over every shard.
 */
export function shardIndices(size: number, shard: Shard): number[] {
  const indices: number[] = [];
  for (let i = shard.index; i < size; i += shard.count) indices.push(i);
  return indices;
}
