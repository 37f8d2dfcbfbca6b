/// <reference lib="dom" />
import { Browser, Page } from 'puppeteer-core';
import { launchChromium } from '../harness/browser';
import { omsClient, withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';
import { authorize } from '../settlement-job/job-helpers';
import { Receiver, startReceiver, TEST_WEBHOOK_SECRET, until } from './receiver';

/**
 * The console's "Webhook deliveries" screen in headless Chromium (Debian's chromium through puppeteer-core): a
 * notification the receiver kept refusing is listed FAILED with its last answer; "Redeliver" sends it again.
 */
jest.setTimeout(120_000);

describe('the webhook deliveries screen of the operator console', () => {
  let stack: Stack;
  let receiver: Receiver;
  let chromium: Awaited<ReturnType<typeof launchChromium>> | undefined;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    receiver = await startReceiver(() => 500);
    stack = await startStack('webhook_console', {
      API_KEYS: 'oms:oms-key,ops:ops-key:operator',
      WEBHOOK_URL: receiver.url,
      WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
      WEBHOOK_POLL_INTERVAL_MS: '100',
      WEBHOOK_RETRY_BASE_MS: '100',
      WEBHOOK_RETRY_MAX_MS: '200',
      SETTLEMENT_JOB_ENABLED: 'false',
      RECOVERY_ENABLED: 'false',
    });
    chromium = await launchChromium();
    browser = chromium.browser;
    page = await browser.newPage();
  });
  afterAll(async () => {
    await chromium?.close();
    await stack?.stop();
    await receiver?.close();
  });

  it('lists a FAILED delivery with the receiver\'s last answer, and "Redeliver" gets it delivered', async () => {
    const oms = omsClient(stack.adapter.url, 'oms-key');
    const order = await authorize({ ...stack, oms }, '100.00', '20.00');
    const settled = await oms.post('/v1/settlements', { authorizationId: order.authorizationId, amount: '20.00', invoiceId: 'INV-1', final: true }, withKey());
    expect(settled.status).toBe(201);
    const [delivery] = await until('a first failed attempt', async () => {
      const rows = await stack.db.query<{ id: string; attempts: number }>(`SELECT id, attempts FROM payment_adapter.webhook_delivery WHERE order_id = $1`, [order.orderId]);
      return rows[0]?.attempts >= 1 && rows;
    });
    await stack.db.query(`UPDATE payment_adapter.webhook_delivery SET retry_until = now() WHERE id = $1`, [delivery.id]);
    await until('FAILED', async () => (await stack.db.query(`SELECT 1 FROM payment_adapter.webhook_delivery WHERE id = $1 AND status = 'FAILED'`, [delivery.id])).length === 1);

    await page.goto(`${stack.adapter.url}/console`);
    await page.type('#api-key', 'ops-key');
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#nav:not([hidden])');
    await page.click('nav button[data-screen=webhooks]');
    const button = `#webhooks-list button[data-delivery="${delivery.id}"]`;
    await page.waitForSelector(button, { timeout: 30000 });
    const row = await page.$eval(button, (b) => b.closest('tr')!.textContent ?? '');
    expect(row).toContain('settlement.settled');
    expect(row).toContain(order.orderId);
    expect(row).toContain('HTTP 500: receiver says 500');
    expect(row).not.toContain(order.cardNumber);

    receiver.behave(() => 200);
    const before = receiver.arrivals.length;
    await page.click(button);
    await page.waitForFunction((id) => (document.getElementById('status')?.textContent ?? '').includes(`Delivery ${id} is queued again`), { timeout: 30000 }, delivery.id);
    await until('DELIVERED', async () => (await stack.db.query(`SELECT 1 FROM payment_adapter.webhook_delivery WHERE id = $1 AND status = 'DELIVERED'`, [delivery.id])).length === 1);
    expect(receiver.arrivals.slice(before).map((a) => [a.id, a.answer, a.verified])).toEqual([[delivery.id, 200, true]]);
    await page.click('[data-refresh=webhooks]');
    await page.waitForFunction(() => (document.getElementById('webhooks-list')?.textContent ?? '').includes('No failed deliveries.'), { timeout: 30000 });
  });
});
