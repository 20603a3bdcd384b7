/** Runs the complab CLI as a user would, `node bin/complab.mjs ...` from the repository root. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const repoRoot = join(import.meta.dirname, '..', '..', '..');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The exit code and both streams; a non-zero exit is a result, not an exception. */
export async function complab(...args: string[]): Promise<CliRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)('node', ['bin/complab.mjs', ...args], {
      cwd: repoRoot,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
