/**
 * Progress of long runs on stderr (never stdout, which may be --json): one line rewritten in
 * place on a terminal, a line every few seconds otherwise (logs, CI).
 */
import type { RunProgress } from '../engine/lab.ts';

const percent = (x: number) => `${(100 * x).toFixed(1)}%`;

export function describeProgress(p: RunProgress): string {
  if (p.stage !== 'compressing' || p.step === undefined) return `${p.stage}…`;
  const parts = [`step ${p.step + 1}/${p.steps} ${p.technique}`];
  if (p.phase) parts.push(p.phase);
  if (p.epoch !== undefined && p.epochs !== undefined)
    parts.push(`epoch ${p.epoch + 1}/${p.epochs}`);
  if (p.batch !== undefined && p.batches !== undefined)
    parts.push(`batch ${p.batch + 1}/${p.batches}`);
  if (p.loss !== undefined) parts.push(`loss ${p.loss.toFixed(3)}`);
  if (p.accuracy !== undefined) parts.push(`acc ${percent(p.accuracy)}`);
  parts.push(percent(p.fraction));
  if (p.etaMs !== undefined) parts.push(`about ${Math.ceil(p.etaMs / 1000)} s left`);
  return parts.join(' · ');
}

export interface ProgressPrinter {
  readonly onProgress: (p: RunProgress) => void;
  /** Clears a rewritten line so what follows starts clean. */
  done(): void;
}

export function progressPrinter(stream: NodeJS.WriteStream, quiet = false): ProgressPrinter {
  if (quiet) return { onProgress: () => undefined, done: () => undefined };
  const tty = stream.isTTY === true;
  let last = performance.now();
  let shown = false;
  return {
    onProgress(p) {
      const now = performance.now();
      if (p.stage !== 'compressing' || now - last < (tty ? 200 : 5000)) return;
      last = now;
      const line = `complab: ${describeProgress(p)}`;
      if (tty) {
        stream.write(
          `\r${line.slice(0, (stream.columns ?? 120) - 1).padEnd(Math.min(stream.columns ?? 120, 120) - 1)}`,
        );
        shown = true;
      } else stream.write(`${line}\n`);
    },
    done() {
      if (shown) stream.write('\r\x1b[K');
      shown = false;
    },
  };
}
