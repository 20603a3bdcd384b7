import { USER_DATA_CAPS, UserDataError } from './errors.ts';

/**
 * Orders strings by Unicode code point, as Python's sorted() does (torchvision's ImageFolder
 * sorts its class folders with it). JavaScript's default sort compares UTF-16 code units, which
 * differs for characters outside the Basic Multilingual Plane.
 */
export function compareCodePoints(a: string, b: string): number {
  const left = [...a];
  const right = [...b];
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const difference = left[i].codePointAt(0)! - right[i].codePointAt(0)!;
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}

/** Checks a class list's size: 2 to the cap. */
export function checkClassCount(count: number, source: string): void {
  if (count < USER_DATA_CAPS.minClasses) {
    throw new UserDataError(
      `${source} names ${count} class${count === 1 ? '' : 'es'}; a classifier needs at least 2`,
    );
  }
  if (count > USER_DATA_CAPS.maxClasses) {
    throw new UserDataError(
      `${source} names ${count} classes; at most ${USER_DATA_CAPS.maxClasses} are supported ` +
        '(labels are stored as 8-bit values)',
    );
  }
}

/**
 * Parses a classes.txt: one class name per line, line i is label i. Trailing blank lines and
 * Windows line ends are tolerated; a blank or repeated name in between is refused.
 */
export function parseClassesText(text: string, fileName: string): string[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  const names = lines.map((line) => line.trim());
  const seen = new Map<string, number>();
  names.forEach((name, index) => {
    if (name === '') throw new UserDataError(`${fileName}: line ${index + 1} is blank`);
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      throw new UserDataError(
        `${fileName}: class "${name}" is on lines ${earlier + 1} and ${index + 1}`,
      );
    }
    seen.set(name, index);
  });
  checkClassCount(names.length, fileName);
  return names;
}
