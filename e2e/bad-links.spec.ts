import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import {
  DEFAULT_RECIPE_TEXT,
  LENET5_LINK_TEXT,
  openLab,
  pasteLink,
  waitForResult,
} from './lab-page.ts';
import { keepScreenshot } from './reference.ts';

// Markup that would become elements if a message were parsed as HTML: an image whose load fails
// and opens a dialog, an SVG with a load handler. Each fits whole inside the quote its error
// message takes from the link (model names and step texts are quoted up to 40 characters, layer
// names up to 30, numbers up to 20). Checked by rendering the banner with dangerouslySetInnerHTML:
// every markup case then fails (the quote is empty, an element exists, the images open dialogs).
const IMG = (n: number) => `<img src=x onerror=alert(${n})>`;
const SVG = '<svg onload=alert()>';

const BAD_LINKS = [
  {
    name: 'a parameter that is not a number',
    hash: 'v=2&model=lenet5&steps=prune(fraction=abc)',
    message: 'fraction must be a number (got "abc")',
  },
  { name: 'a newer format version', hash: 'v=99&model=lenet5', message: 'version' },
  {
    name: 'markup in the model name',
    hash: `v=2&model=${encodeURIComponent(IMG(1))}`,
    message: `"${IMG(1)}" is not a model name`,
  },
  {
    name: 'markup in the steps',
    hash: `v=2&model=lenet5&steps=${encodeURIComponent(IMG(2))}`,
    message: `step 1 "${IMG(2)}" is not of the form`,
  },
  {
    name: 'markup as a layer name',
    hash: `v=2&model=lenet5&steps=${encodeURIComponent(`prune-density(density=${IMG(3)}:0.5)`)}`,
    message: `"${IMG(3)}" is not a layer name`,
  },
  {
    name: 'markup as a number',
    hash: `v=2&model=lenet5&steps=${encodeURIComponent(`prune(fraction=${SVG})`)}`,
    message: `fraction must be a number (got "${SVG}")`,
  },
];

/** Collects dialogs from now on; the returned list is empty unless markup ran. */
function recordDialogs(page: Page): string[] {
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => void dialogs.push(`${dialog.type()}: ${dialog.message()}`));
  return dialogs;
}

/** No element from link text exists anywhere in the document, and no dialog opened. */
async function expectNoMarkup(page: Page, dialogs: string[]): Promise<void> {
  await expect(page.locator('img[src="x"], svg[onload], [onerror], [onload]')).toHaveCount(0);
  expect(dialogs).toEqual([]);
}

for (const link of BAD_LINKS) {
  test(`a link with ${link.name} shows why and opens the defaults`, async ({ page }, testInfo) => {
    const dialogs = recordDialogs(page);
    await openLab(page, link.hash);
    const banner = page.getByTestId('link-error');
    await expect(banner).toBeVisible();
    await expect(banner).toHaveAttribute('role', 'alert');
    // The message quotes the link's text whole, as text.
    await expect(banner).toContainText(link.message);
    // The lab still works, on the defaults.
    const shown = await waitForResult(page, DEFAULT_RECIPE_TEXT);
    expect(shown.accuracy).toMatch(/^\d{1,3}\.\d\d %$/);
    await expect(page.getByTestId('model-picker')).toHaveValue('lenet5');
    // By now an injected image would have failed to load and a handler would have run.
    await expectNoMarkup(page, dialogs);
    await keepScreenshot(page, testInfo.outputPath('bad-link.png'));
  });
}

test('a bad link pasted later keeps the current settings and says why', async ({ page }) => {
  const dialogs = recordDialogs(page);
  await openLab(page, `${LENET5_LINK_TEXT}&backend=wasm`);
  await waitForResult(page, LENET5_LINK_TEXT);
  await page.evaluate(() => {
    window.location.hash = 'v=2&model=lenet5&seed=-4';
  });
  await expect(page.getByTestId('link-error')).toContainText('seed');
  await expect(page.getByTestId('seed-field')).toHaveValue('1');
  // The address bar goes back to the link of what the page shows.
  await expect(page).toHaveURL(/#v=2&model=lenet5&seed=1&steps=&backend=wasm$/);
  await page.getByRole('button', { name: 'Dismiss' }).click();
  await expect(page.getByTestId('link-error')).toHaveCount(0);

  // Markup pasted later is quoted as text too.
  await pasteLink(page, `v=2&model=lenet5&seed=1&steps=${encodeURIComponent(IMG(4))}`);
  await expect(page.getByTestId('link-error')).toContainText(`step 1 "${IMG(4)}" is not of`);
  await expectNoMarkup(page, dialogs);
  await page.getByRole('button', { name: 'Dismiss' }).click();

  // A good link pasted into the address bar is applied.
  await page.evaluate(() => {
    window.location.hash = 'v=2&model=lenet5&seed=1&steps=prune(fraction=0.3)&backend=wasm';
  });
  await waitForResult(page, 'v=2&model=lenet5&seed=1&steps=prune(fraction=0.3)');
  await expect(page.getByTestId('step-0-fraction-value')).toHaveText('30 %');
});
