import type { LabErrorData, LabErrorKind } from './protocol.ts';

/**
 * Engine errors are matched by name, not instanceof, so this works whichever copy of the
 * engine module threw them.
 */
const KIND_BY_ERROR_NAME: Record<string, LabErrorKind> = {
  RecipeError: 'recipe',
  ModelLoadError: 'model',
  // A compact model file that does not decode (a dropped file): the model's fault.
  WeightsFormatError: 'model',
  AssetError: 'asset',
  NoBackendError: 'backend',
};

export function isCancellation(err: unknown): boolean {
  return err instanceof Error && (err.name === 'RunCancelledError' || err.name === 'AbortError');
}

export function toErrorData(err: unknown): LabErrorData {
  if (err instanceof Error) {
    const kind = KIND_BY_ERROR_NAME[err.name] ?? 'internal';
    const message = err.message || err.name;
    return { kind, message: kind === 'internal' ? `Unexpected error: ${message}` : message };
  }
  return { kind: 'internal', message: `Unexpected error: ${String(err)}` };
}
