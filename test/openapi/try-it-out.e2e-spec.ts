import { Browser, Page } from 'puppeteer-core';
import { launchChromium } from '../harness/browser';
import { Stack, startStack } from '../harness/stack';

/**
 * "Try it out" on /docs, in a real browser, for an operation that moves money: the page sends one
 * Idempotency-Key (it used to send two, merged into "k, k" and refused) and the hold is placed.
 */
describe('"Try it out" on /docs', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let chromium: Awaited<ReturnType<typeof launchChromium>> | undefined;
  beforeAll(async () => {
    stack = await startStack('try_it_out');
    chromium = await launchChromium();
    browser = chromium.browser;
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 1000 });
  });
  afterAll(async () => {
    await chromium?.close();
    await stack?.stop();
  });

  it('holds the demo card with the documented example and one Idempotency-Key', async () => {
    const sent: Array<Record<string, string>> = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/v1/authorizations') && request.method() === 'POST') sent.push(request.headers());
    });
    await page.goto(`${stack.adapter.url}/docs`, { waitUntil: 'networkidle0' });

    await page.click('.btn.authorize');
    await page.waitForSelector('.modal-ux input');
    await page.type('.modal-ux input', 'local-dev-key');
    await page.click('.modal-ux .auth-btn-wrapper .authorize');
    await page.click('.modal-ux .btn-done');

    const operation = '#operations-authorizations-AuthorizationsController_create';
    await page.waitForSelector(`${operation} .opblock-summary`);
    await page.click(`${operation} .opblock-summary`);
    await page.waitForSelector(`${operation} .try-out__btn`);
    await page.click(`${operation} .try-out__btn`);
    const keyInputs = await page.$$(`${operation} tr[data-param-name="Idempotency-Key"] input, ${operation} tr[data-param-name="idempotency-key"] input`);
    expect(keyInputs).toHaveLength(1);
    await keyInputs[0].type('swagger-try-1');
    await page.click(`${operation} .btn.execute`);
    await page.waitForSelector(`${operation} .live-responses-table tr.response .response-col_status`, { timeout: 15000 });
    const status = await page.$eval(`${operation} .live-responses-table tr.response .response-col_status`, (n) => n.textContent?.trim());
    expect(status).toBe('201');
    expect(sent).toHaveLength(1);
    expect(sent[0]['idempotency-key']).toBe('swagger-try-1');
    expect(sent[0]['content-type']).toMatch(/^application\/json/);
    expect((await stack.admin.card('6000000000000001')).held).toBe('60.00');
  });
});
