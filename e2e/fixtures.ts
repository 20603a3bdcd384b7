/**
 * The `test` every spec uses. It watches each browser context a test opens (its pages and their
 * workers) and fails the test on any console error, uncaught error, Content-Security-Policy
 * violation or dialog (alert, confirm, prompt), unless the spec declared it beforehand with
 * `pageErrors.expect(pattern, why)`; an expected error that never shows up fails the test too,
 * so a declaration cannot outlive the behaviour it describes.
 */
import { test as base, type BrowserContext } from '@playwright/test';

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

export const test = base.extend<Fixtures>({
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
  freshContext: async ({ browser, pageErrors }, use) => {
    const context = await browser.newContext();
    await watch(context, pageErrors.seen as string[]);
    await use(context);
    await context.close();
  },
});
