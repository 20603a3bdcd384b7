/**
 * The `test` every spec uses. It watches each browser context a test opens (its pages and their
 * workers) and fails the test on any console error, uncaught error, Content-Security-Policy
 * violation or dialog (alert, confirm, prompt), unless the spec declared it beforehand with
 * `pageErrors.expect(pattern, why)`; an expected error that never shows up fails the test too,
 * so a declaration cannot outlive the behaviour it describes.
 */
import { test as base, type BrowserContext } from '@playwright/test';
import { LATENCY_SETTING_KEYS } from '../src/engine/measure/latency-settings.ts';

export { expect } from '@playwright/test';

export interface PageErrors {
  /** Declares an error this test causes on purpose; it must occur at least once. */
  expect(pattern: RegExp, why: string): void;
  /** Everything reported so far, expected or not ("console: …", "uncaught: …", …). */
  readonly seen: readonly string[];
}

interface Fixtures {
  pageErrors: PageErrors;
  /** Another browser context (a fresh profile: no IndexedDB, no cache), watched the same way. */
  freshContext: BrowserContext;
  /** Sets the latency sampling below in every page of the test's context. */
  latencyTestSettings: void;
}

/** Latency sampling of the pages under test (see the page's settings, latency-settings.ts). */
interface LatencySampling {
  readonly windowMs: number;
  readonly minSamples: number;
}

interface Options {
  /**
   * The latency sampling of the pages under test, or null for the page's own (a window of
   * LATENCY_WINDOW_MS, 300 ms, and at least 15 predictions per figure). The specs run hundreds
   * of recipes and none checks a latency figure's value, only that it is shown, with its spread
   * and its comparison with the baseline: 20 ms as in the unit tests (vitest.config.ts), and the
   * floor of 5 predictions, save minutes.
   */
  latencySampling: LatencySampling | null;
}

/** Gives every page of `context` the latency settings the lab reads at start. */
async function setLatencySampling(
  context: BrowserContext,
  sampling: LatencySampling | null,
): Promise<void> {
  if (sampling === null) return;
  const items: [string, string][] = [
    [LATENCY_SETTING_KEYS.latencyWindowMs, String(sampling.windowMs)],
    [LATENCY_SETTING_KEYS.latencyMinSamples, String(sampling.minSamples)],
  ];
  await context.addInitScript((entries) => {
    try {
      for (const [key, value] of entries) window.localStorage.setItem(key, value);
    } catch {
      // A page without storage keeps the default sampling.
    }
  }, items);
}

/**
 * Reports `securitypolicyviolation` events of the page as console errors, so a violation the
 * browser only signals as an event still fails the test. (Violations in the worker reach the
 * console on their own.)
 */
const REPORT_CSP_VIOLATIONS = () => {
  document.addEventListener('securitypolicyviolation', (event) => {
    console.error(
      `CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || 'inline code'} ` +
        `(${event.sourceFile}:${event.lineNumber})`,
    );
  });
};

/** Every error-like thing a context reports, pushed to `seen` as one line each. */
async function watch(context: BrowserContext, seen: string[]): Promise<void> {
  await context.addInitScript(REPORT_CSP_VIOLATIONS);
  context.on('console', (message) => {
    if (message.type() !== 'error' && message.type() !== 'assert') return;
    const where = message.worker() ? 'worker console' : 'console';
    const { url, lineNumber } = message.location();
    seen.push(`${where}: ${message.text()}${url ? ` (${url}:${lineNumber})` : ''}`);
  });
  // Uncaught errors and unhandled rejections of every page and worker of the context.
  context.on('weberror', (webError) => {
    const error = webError.error();
    seen.push(`uncaught: ${error.name}: ${error.message}`);
  });
  context.on('dialog', (dialog) => {
    seen.push(`dialog: ${dialog.type()} "${dialog.message()}"`);
    void dialog.dismiss().catch(() => undefined);
  });
}

export const test = base.extend<Fixtures & Options>({
  latencySampling: [{ windowMs: 20, minSamples: 5 }, { option: true }],
  latencyTestSettings: [
    async ({ context, latencySampling }, use) => {
      await setLatencySampling(context, latencySampling);
      await use();
    },
    { auto: true },
  ],
  pageErrors: [
    async ({ context }, use) => {
      const seen: string[] = [];
      const expected: { pattern: RegExp; why: string }[] = [];
      await watch(context, seen);
      await use({
        expect: (pattern, why) => void expected.push({ pattern, why }),
        seen,
      });
      const unexpected = seen.filter((line) => !expected.some((e) => e.pattern.test(line)));
      const missing = expected.filter((e) => !seen.some((line) => e.pattern.test(line)));
      const problems = [
        ...unexpected.map((line) => `unexpected ${line}`),
        ...missing.map((e) => `expected an error matching ${String(e.pattern)} (${e.why})`),
      ];
      if (problems.length > 0) {
        throw new Error(`The page reported errors:\n  ${problems.join('\n  ')}`);
      }
    },
    { auto: true },
  ],
  freshContext: async ({ browser, pageErrors, latencySampling }, use) => {
    const context = await browser.newContext();
    await watch(context, pageErrors.seen as string[]);
    await setLatencySampling(context, latencySampling);
    await use(context);
    await context.close();
  },
});
