/**
 * Error messages of the lab's typed errors are one line: the CLI prints them as such, the page
 * in a status line. Text quoted from an input (a link, a file name, a layer name) may hold line
 * breaks or other control characters; they are written as escapes instead.
 */
export function oneLine(message: string): string {
  // eslint-disable-next-line no-control-regex
  return message.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) =>
    c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
