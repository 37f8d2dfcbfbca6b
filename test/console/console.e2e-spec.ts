/// <reference lib="dom" />
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Browser, Page } from 'puppeteer-core';
import { launchChromium } from '../harness/browser';
import { omsClient, withKey } from '../harness/clients';
import { repoRoot } from '../harness/processes';
import { Stack, startStack } from '../harness/stack';

/** Debian's chromium (`apt-get install -y chromium`; .ci/run installs it when missing); puppeteer-core downloads nothing. */
/** The README's screenshots are refreshed with UPDATE_SCREENSHOTS=1; other runs take them into a temporary folder. */
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS ? join(repoRoot, 'docs', 'console') : mkdtempSync(join(tmpdir(), 'gcpa-console-shots-'));

/**
 * The operator console in a real browser: a person signs in with the operator key, sees the UNKNOWN hold a sandbox
 * fault left behind, resolves it as applied, and afterwards the provider's ledger and the adapter agree.
 */
jest.setTimeout(180_000);

describe('the operator console at /console', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let chromium: Awaited<ReturnType<typeof launchChromium>> | undefined;
  const oms = () => omsClient(stack.adapter.url, 'oms-key');
  const ops = () => omsClient(stack.adapter.url, 'ops-key');

  beforeAll(async () => {
    stack = await startStack('console', {
      API_KEYS: 'oms:oms-key,ops:ops-key:operator',
      RECOVERY_ENABLED: 'false',
      RECOVERY_MAX_ATTEMPTS: '1', // given up after one failed check (and, where giving up is timed, after a second)
      RECOVERY_GIVE_UP_AFTER_SECONDS: '1',
      SETTLEMENT_JOB_ENABLED: 'false',
      SETTLEMENT_MAX_ATTEMPTS: '1',
      CLUTCH_TIMEOUT_MS: '3000',
    });
    chromium = await launchChromium();
    browser = chromium.browser;
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    mkdirSync(SCREENSHOTS, { recursive: true });
  });
  afterAll(async () => {
    await chromium?.close();
    if (!process.env.UPDATE_SCREENSHOTS) rmSync(SCREENSHOTS, { recursive: true, force: true });
    await stack?.stop();
  });

  const statusText = () => page.$eval('#status', (node) => node.textContent ?? '');
  const waitForStatus = (fragment: string) =>
    page.waitForFunction((f) => (document.getElementById('status')?.textContent ?? '').includes(f), { timeout: 45000 }, fragment);

  it('signs in with the operator key only, keeps it in sessionStorage and sets no cookie', async () => {
    await page.goto(`${stack.adapter.url}/console`);
    await page.type('#api-key', 'oms-key-wrong');
    await page.click('#login-form button[type=submit]');
    await waitForStatus('Sign-in failed');
    expect(await page.$eval('#login', (n) => (n as HTMLElement).hidden)).toBe(false);

    await page.type('#api-key', 'ops-key');
    await page.click('#login-form button[type=submit]');
    await waitForStatus('Signed in');
    expect(await page.$eval('#nav', (n) => (n as HTMLElement).hidden)).toBe(false);
    expect(await page.evaluate(() => sessionStorage.getItem('gcpa.operatorKey'))).toBe('ops-key');
    expect(await page.evaluate(() => document.cookie)).toBe('');
    expect((await page.cookies()).length).toBe(0);
  });

  it('shows an UNKNOWN hold left by a sandbox fault, resolves it as applied, and the ledger and the adapter agree', async () => {
    const card = await stack.admin.createCard('100.00');
    const orderId = `ORD-CONSOLE-${randomUUID().slice(0, 8)}`;
    // The provider applies the hold and the answer is lost; its look-ups are lost too: the outcome stays unknown.
    await stack.admin.setFaults({ dropRate: 1, methods: ['updateBalance', 'search'] });
    const lost = await oms().post('/v1/authorizations', { orderId, cardNumber: card.cardNumber, pin: card.pin, amount: '20.00', currency: 'USD', allowPartial: false }, withKey());
    expect([lost.status, lost.data.error?.details?.outcome]).toEqual([503, 'UNKNOWN']);
    // The sweep's look-ups fail as well, until it gives up: the call is listed UNKNOWN for an operator.
    await stack.admin.setFaults({ dropRate: 1, methods: ['search'] });
    const givenUp = async () => (await ops().get('/v1/transactions', { params: { outcome: 'UNKNOWN' } })).data.items.find((t: { orderId: string }) => t.orderId === orderId);
    let gaveUp = 0;
    for (let i = 0; i < 20 && !(await givenUp()); i++) {
      // The sweep's backoff between checks has passed (the clock is moved, not waited for).
      await stack.db.query(`UPDATE payment_adapter.provider_call SET next_check_at = now() WHERE order_id = $1 AND outcome IN ('PENDING', 'UNKNOWN')`, [orderId]);
      gaveUp += (await ops().post('/v1/recovery-runs', {})).data.gaveUp;
      await new Promise((r) => setTimeout(r, 300));
    }
    await stack.admin.clearFaults();
    expect(gaveUp).toBe(1);
    const listed = await givenUp();
    expect(listed).toMatchObject({ operation: 'HOLD', outcome: 'UNKNOWN', recordedOutcome: 'UNKNOWN' });
    await new Promise((r) => setTimeout(r, 10500)); // the client's circuit breaker, opened by the failed look-ups, lets calls through again
    const held = (await stack.admin.card(card.cardNumber)).holds.filter((h) => h.status === 'OPEN');
    expect(held).toHaveLength(1); // the provider holds 20.00 that the adapter does not know of

    await page.click('nav button[data-screen=unresolved]');
    const article = `article[data-transaction="${listed.transactionId}"]`;
    await page.waitForSelector(article, { timeout: 45000 });
    const shown = await page.$eval(article, (n) => n.textContent ?? '');
    expect(shown).toContain('HOLD');
    expect(shown).toContain('UNKNOWN');
    expect(shown).toContain(orderId);
    expect(shown).toContain(`****${card.cardNumber.slice(-4)}`);
    expect(shown).not.toContain(card.cardNumber);
    await page.screenshot({ path: join(SCREENSHOTS, 'unresolved-calls.png'), fullPage: true });

    // The operator checked the provider's portal: the hold is there. Resolve as applied, naming it.
    await page.click(`${article} input[value=true]`);
    await page.type(`${article} input[aria-label="Provider transaction id"]`, held[0].holdId);
    await page.type(`${article} input[aria-label=Reason]`, 'Clutch shows the 20.00 hold on this card');
    await page.click(`${article} button[type=submit]`);
    await waitForStatus(`resolved as applied`);
    await page.waitForFunction((selector) => !document.querySelector(selector), { timeout: 45000 }, article);

    // The adapter recorded the decision, in the history with the operator's name, and completed it.
    const [call] = await stack.db.query<{ outcome: string; provider_transaction_id: string; next_check_at: Date | null }>(
      `SELECT outcome, provider_transaction_id, next_check_at FROM payment_adapter.provider_call WHERE id = $1`,
      [listed.transactionId],
    );
    expect(call).toMatchObject({ outcome: 'APPLIED', provider_transaction_id: held[0].holdId, next_check_at: null });
    const order = (await ops().get(`/v1/orders/${orderId}/payments`)).data;
    expect(order.history).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'TRANSACTION_RESOLVED_BY_OPERATOR', actor: 'ops', toState: 'APPLIED', providerMessage: 'Clutch shows the 20.00 hold on this card' })]),
    );
    // The provider's ledger and the adapter agree on what is held for this card, and the ledger is consistent.
    const ledger = await stack.admin.card(card.cardNumber);
    expect(order.totals.held).toBe(ledger.held);
    expect(Number(ledger.balance) - Number(ledger.held)).toBe(Number(ledger.available));
    expect((await stack.admin.ledgerCheck()).ok).toBe(true);
    for (const outcome of ['UNKNOWN', 'CHECKING']) {
      expect((await ops().get('/v1/transactions', { params: { outcome } })).data.items.find((t: { orderId: string }) => t.orderId === orderId)).toBeUndefined();
    }

    // The order's timeline in the console shows the decision, cards masked.
    await page.click('nav button[data-screen=order]');
    await page.type('#order-id', orderId);
    await page.click('#order-form button[type=submit]');
    await page.waitForFunction(() => (document.getElementById('order-view')?.textContent ?? '').includes('TRANSACTION_RESOLVED_BY_OPERATOR'), { timeout: 45000 });
    const timeline = await page.$eval('#order-view', (n) => n.textContent ?? '');
    expect(timeline).toContain(`****${card.cardNumber.slice(-4)}`);
    expect(timeline).not.toContain(card.cardNumber);
    await page.screenshot({ path: join(SCREENSHOTS, 'order-timeline.png'), fullPage: true });
  });

  it('refuses an operator decision from a payments key, and money movement from the operator key', async () => {
    const resolved = await oms().post(`/v1/transactions/${randomUUID()}/resolutions`, { applied: false, reason: 'x' });
    expect([resolved.status, resolved.data.error.code]).toEqual([403, 'FORBIDDEN']);
    const card = await stack.admin.createCard('10.00');
    const hold = await ops().post('/v1/authorizations', { orderId: 'ORD-OPS', cardNumber: card.cardNumber, pin: card.pin, amount: '1.00', currency: 'USD' }, withKey());
    expect(hold.status).toBe(403);
    expect((await stack.admin.card(card.cardNumber)).held).toBe('0.00');
  });

  it('lists a FAILED batch settlement and retries it', async () => {
    const card = await stack.admin.createCard('50.00');
    const orderId = `ORD-FAILED-${randomUUID().slice(0, 8)}`;
    const hold = await oms().post('/v1/authorizations', { orderId, cardNumber: card.cardNumber, pin: card.pin, amount: '30.00', currency: 'USD' }, withKey());
    expect(hold.status).toBe(201);
    const batch = await oms().post('/v1/settlements', { authorizationId: hold.data.authorizationId, amount: '30.00', invoiceId: 'INV-F', final: true, mode: 'batch' }, withKey());
    expect(batch.status).toBe(202);
    // 429: refused, so certainly not applied; after SETTLEMENT_MAX_ATTEMPTS (1 here) the settlement is FAILED.
    await stack.admin.setFaults({ rateLimitRate: 1, methods: ['updateBalance'] });
    await ops().post('/v1/settlement-runs', {});
    await stack.admin.clearFaults();
    expect((await ops().get(`/v1/settlements/${batch.data.settlementId}`)).data.status).toBe('FAILED');

    await page.click('nav button[data-screen=failed]');
    const retry = `button[data-settlement="${batch.data.settlementId}"]`;
    await page.waitForSelector(retry, { timeout: 45000 });
    await page.screenshot({ path: join(SCREENSHOTS, 'failed-settlements.png'), fullPage: true });
    await page.click(retry);
    await waitForStatus('queued again');
    expect((await ops().get(`/v1/settlements/${batch.data.settlementId}`)).data).toMatchObject({ status: 'OPEN', attempts: 0 });
    await ops().post('/v1/settlement-runs', {});
    expect((await ops().get(`/v1/settlements/${batch.data.settlementId}`)).data.status).toBe('SETTLED');
    expect(await stack.admin.card(card.cardNumber)).toMatchObject({ balance: '20.00', held: '0.00' });
  });

  it('shows health and metrics, and signs out leaving nothing stored', async () => {
    await page.click('nav button[data-screen=health]');
    await page.waitForFunction(() => (document.getElementById('health-view')?.textContent ?? '').includes('Unresolved provider calls'), { timeout: 45000 });
    const health = await page.$eval('#health-view', (n) => n.textContent ?? '');
    expect(health).toContain('Database');
    expect(health).toMatch(/Circuit breaker(closed|half-open|open)/);
    await page.screenshot({ path: join(SCREENSHOTS, 'health.png'), fullPage: true });

    await page.click('#sign-out');
    expect(await statusText()).toContain('Signed out');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(await page.$eval('#login', (n) => (n as HTMLElement).hidden)).toBe(false);
  });
});
