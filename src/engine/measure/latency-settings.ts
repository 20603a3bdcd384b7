/**
 * Shorter latency sampling than the defaults (LATENCY_WINDOW_MS, LATENCY_MIN_SAMPLES), for
 * tests: they run hundreds of recipes and read few latencies. In Node (the unit tests, the CLI)
 * $COMPLAB_LATENCY_WINDOW_MS and $COMPLAB_LATENCY_MIN_SAMPLES; in the page the localStorage keys
 * of LATENCY_SETTING_KEYS, which the end-to-end specs set (e2e/fixtures.ts). Developer and test
 * knobs, not part of a recipe or a link (docs/contributing.md). Nothing here imports tfjs: the
 * page's entry reads them.
 */

/** The Lab options these settings give (see Lab's options). */
export interface LatencySettings {
  /** Sampling window per latency figure, ms. */
  readonly latencyWindowMs?: number;
  /** Timed predictions per figure at least (never fewer than LATENCY_FLOOR_SAMPLES anyway). */
  readonly latencyMinSamples?: number;
}

type Setting = keyof LatencySettings;

/** The page's settings, in localStorage. */
export const LATENCY_SETTING_KEYS: Readonly<Record<Setting, string>> = {
  latencyWindowMs: 'complab.latencyWindowMs',
  latencyMinSamples: 'complab.latencyMinSamples',
};

/** The same settings in a process environment (Node). */
export const LATENCY_ENVIRONMENT_VARIABLES: Readonly<Record<Setting, string>> = {
  latencyWindowMs: 'COMPLAB_LATENCY_WINDOW_MS',
  latencyMinSamples: 'COMPLAB_LATENCY_MIN_SAMPLES',
};

/** A window in ms: a positive number; anything else is undefined (the default). */
export function parseLatencyWindow(text: string | null | undefined): number | undefined {
  const ms = Number(text);
  return text && Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/** A count of predictions: a positive whole number; anything else is undefined (the default). */
export function parseLatencyMinSamples(text: string | null | undefined): number | undefined {
  const count = Number(text);
  return text && Number.isSafeInteger(count) && count > 0 ? count : undefined;
}

function settingsFrom(read: (setting: Setting) => string | null | undefined): LatencySettings {
  const latencyWindowMs = parseLatencyWindow(read('latencyWindowMs'));
  const latencyMinSamples = parseLatencyMinSamples(read('latencyMinSamples'));
  return {
    ...(latencyWindowMs === undefined ? {} : { latencyWindowMs }),
    ...(latencyMinSamples === undefined ? {} : { latencyMinSamples }),
  };
}

/** The valid settings of a process environment (Node); none where there is none. */
export function latencySettingsFromEnvironment(
  environment: Record<string, string | undefined> | undefined = globalThis.process?.env,
): LatencySettings {
  return settingsFrom((setting) => environment?.[LATENCY_ENVIRONMENT_VARIABLES[setting]]);
}

/**
 * The valid settings in localStorage. A storage that cannot be read (a sandboxed frame, storage
 * turned off) means the defaults.
 */
export function latencySettingsFromStorage(
  storage: () => Pick<Storage, 'getItem'> | undefined = () => globalThis.localStorage,
): LatencySettings {
  try {
    const store = storage();
    return settingsFrom((setting) => store?.getItem(LATENCY_SETTING_KEYS[setting]));
  } catch {
    return {};
  }
}
