// What a browser page did (requests, answers, navigations, console), kept for failure messages:
// when a page does not reach the state a test waits for, the message says where it stopped.
import type { Page } from 'playwright-core';

export class PageTrace {
  private readonly lines: string[] = [];
  private readonly t0 = Date.now();

  /** Records `page`'s events under `name` from now on. */
  follow(page: Page, name: string): Page {
    const add = (what: string) => this.lines.push(`${((Date.now() - this.t0) / 1000).toFixed(2)} ${name} ${what}`);
    page.on('request', (r) => add(`request ${r.method()} ${r.url()}`));
    page.on('requestfailed', (r) => add(`failed ${r.url()} ${r.failure()?.errorText ?? ''}`));
    page.on('response', (r) => add(`response ${r.status()} ${r.url()}`));
    page.on('framenavigated', (f) => { if (f === page.mainFrame()) add(`at ${f.url()}`); });
    page.on('console', (m) => add(`console ${m.text()}`));
    return page;
  }

  /**
   * Waits until the page shows `text` (a locator: a string predicate would be eval'd in the page,
   * which the stand-in's CSP refuses); on timeout the error says where the page is, what it
   * shows and did, and `more()` (e.g. the stand-in's log).
   */
  async waitForText(page: Page, text: string, timeoutMs: number, more: () => string = () => ''): Promise<void> {
    try {
      await page.locator('body', { hasText: text }).waitFor({ timeout: timeoutMs });
    } catch (err) {
      const shown = await page.evaluate('document.body.innerText').then(String, () => '?');
      throw new Error(`${(err as Error).message.split('\n')[0]}\npage at ${page.url()} shows: ${shown.slice(0, 300)}\n` +
        `what the pages did:\n${this.lines.join('\n')}\n${more()}`);
    }
  }
}
