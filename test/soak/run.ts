import { writeFileSync } from 'node:fs';
import { sandboxAdmin } from '../harness/clients';
import { startProcesses } from '../harness/spawned-stack';
import { Chaos } from './chaos';
import { DrainResult, drainBacklog, drainWebhooks, runReconciliationJob, WebhookDrainResult } from './drain';
import { RetryingOms } from './oms-client';
import { cardPlans, money, OrderRecord, OrderWorld, PopulationCard, runOrder, SANDBOX_HOLD_TTL_SECONDS } from './orders';
import { Category, reconcile } from './reconcile';
import { seededRandom, SoakSettings, soakSettings } from './settings';
import { WebhookReceiver } from './webhook-receiver';

/**
 * `npm run soak`: the sandbox and one adapter as real processes on a throw-away PostgreSQL database, a
 * population of cards, SOAK_ORDERS orders from SOAK_CONCURRENCY OMS-like clients while the provider
 * misbehaves and the adapter is SIGKILLed, then the backlog drained and three views reconciled.
 * Ends with `discrepancies: N`; exits 1 when N > 0. The README's soak section describes it.
 */
async function main(): Promise<number> {
  const settings = soakSettings();
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
  const say = (line: string) => console.log(`[soak ${elapsed()}] ${line}`);
  say(`orders=${settings.orders} concurrency=${settings.concurrency} cards=${settings.cards} kills=${settings.kills} seed=${settings.seed}`);

  // The OMS's webhook endpoint, in this process; the adapter sends to it (and retries when it misbehaves).
  const w = settings.webhooks;
  const receiver = new WebhookReceiver({ failRate: w.failRate, slowRate: w.slowRate, slowMs: w.timeoutMs + 500 }, seededRandom(settings.seed ^ 0x0b00c));
  const webhookUrl = w.enabled ? await receiver.start() : null;
  let outages = 0;
  const outageTimer = w.enabled && w.outageMs > 0
    ? setInterval(() => {
        outages += 1;
        receiver.down = true;
        setTimeout(() => (receiver.down = false), w.outageMs);
      }, w.outageEveryMs)
    : null;
  say(webhookUrl ? `webhook receiver at ${webhookUrl}` : 'webhooks off (SOAK_WEBHOOKS=false)');

  const stack = await startProcesses('soak', adapterEnvironment(settings, webhookUrl, receiver.secret));
  const admin = sandboxAdmin(stack.sandboxUrl);
  let adapter = await stack.startAdapter();
  const target = { url: adapter.url };
  const dice = seededRandom(settings.seed);
  let exitCode = 2;
  try {
    // The population: cards with various balances, some with PINs.
    const plans = cardPlans(dice, settings.cards);
    const population: PopulationCard[] = [];
    for (const plan of plans) {
      const card = await admin.createCard(money(plan.balanceMinor), plan.pin ? { pin: plan.pin } : {});
      population.push({ cardNumber: card.cardNumber, pin: plan.pin, initialMinor: plan.balanceMinor });
    }
    say(`created ${population.length} cards; adapter at ${adapter.url}`);
    // Holds lapse at the provider only when the soak ages them (SANDBOX_HOLD_TTL_SECONDS is far beyond the run).
    await admin.setBehaviour({ holdTtlSeconds: SANDBOX_HOLD_TTL_SECONDS });
    const world: OrderWorld = {
      db: stack.db,
      duplicateRate: settings.duplicateRate,
      reauthorizeRate: settings.reauthorizeRate,
      expireRate: settings.expireRate,
      lapseRate: settings.lapseRate,
      newCardRefundRate: settings.newCardRefundRate,
    };

    const oms = new RetryingOms(target, { maxAttempts: settings.maxAttempts, deadlineMs: settings.requestDeadlineMs });
    const restart = async () => {
      const t0 = Date.now();
      await adapter.process.kill('SIGKILL');
      say('adapter SIGKILLed');
      adapter = await stack.startAdapter();
      target.url = adapter.url;
      say(`adapter restarted at ${adapter.url} after ${Date.now() - t0} ms`);
      return Date.now() - t0;
    };
    const chaos = new Chaos(admin, settings, seededRandom(settings.seed ^ 0x5eed), restart);
    await chaos.start();

    // The orders, from SOAK_CONCURRENCY clients; each order has its own dice so the plan is reproducible.
    const orders: OrderRecord[] = [];
    let next = 0;
    let done = 0;
    const progressEvery = Math.max(1, Math.floor(settings.orders / 10));
    const runTag = settings.seed.toString(36);
    await Promise.all(
      Array.from({ length: Math.min(settings.concurrency, settings.orders) }, async () => {
        while (next < settings.orders) {
          const index = next++;
          const orderDice = seededRandom((settings.seed + Math.imul(index + 1, 0x9e3779b1)) >>> 0);
          const card = orderDice.pick(population);
          orders.push(await runOrder(oms, orderDice, `soak-${runTag}-${index}`, card, world));
          done += 1;
          chaos.onOrderDone(done);
          if (done % progressEvery === 0) say(`${done}/${settings.orders} orders, ${oms.stats.requests} requests, ${oms.stats.attempts - oms.stats.requests} retries`);
        }
      }),
    );
    await chaos.finishKills(done);
    await chaos.stop();
    if (outageTimer) clearInterval(outageTimer);
    // The end of time for holds: one that lapsed at the provider and was left open (its order gave up, or
    // cancelled nothing) reaches its HOLD_TTL_HOURS too; the expiry job's cron expires it during the drain.
    await stack.db.query(
      `UPDATE payment_adapter.authorization_hold a SET expires_at = now() - interval '1 second'
        WHERE a.state = 'OPEN' AND EXISTS (SELECT 1 FROM clutch_sandbox.hold h WHERE h.id::text = a.provider_hold_id AND h.created_at < now() - make_interval(secs => $1))`,
      [SANDBOX_HOLD_TTL_SECONDS],
    );
    say(`orders done; faults cleared; ${chaos.log.kills.length} kills, ${chaos.log.spikes} latency spikes`);

    const faultsClearedAt = Date.now();
    const drain = await drainBacklog(stack.db, target, settings.drainMs, say);
    // Late calls still on their way land within lateMs of the faults' end; their holds must then grow older
    // than the grace period before the reconciliation job may take them for orphans.
    const job = await runReconciliationJob(target, faultsClearedAt + settings.lateMs + settings.graceMs + 1000, say);
    // The receiver answers well from now on: everything due must arrive, FAILED deliveries are sent again.
    receiver.down = false;
    receiver.misbehave = false;
    const webhookDrain = w.enabled ? await drainWebhooks(stack.db, target, settings.drainMs, say) : null;
    // A stable snapshot: nothing of the adapter runs while the three views are read.
    await adapter.process.kill('SIGTERM');
    const result = await reconcile(stack.db, admin, population, orders, job, w.enabled ? receiver : undefined);

    const report = formatReport(settings, {
      durationS: (Date.now() - started) / 1000,
      orders: orders.length,
      client: oms.stats,
      chaos: chaos.log,
      drain,
      webhookDrain,
      outages,
      facts: result.facts,
      findings: result.findings,
    });
    console.log(report);
    if (settings.reportFile) writeFileSync(settings.reportFile, report + '\n');
    exitCode = result.findings.length > 0 ? 1 : 0;
  } catch (error) {
    console.error(`soak failed: ${(error as Error).stack ?? error}`);
    console.error(adapter.process.output().slice(-4000));
  } finally {
    if (outageTimer) clearInterval(outageTimer);
    await receiver.stop();
    if (process.env.SOAK_KEEP_DATABASE === 'true') {
      for (const p of [adapter.process, stack.sandbox]) await p.kill('SIGKILL');
      console.log(`database kept: ${stack.db.url}`);
    } else {
      await stack.stop();
    }
  }
  return exitCode;
}

/**
 * The adapter for a chaos run: short provider timeout and grace (so unknown outcomes resolve quickly), the
 * batch job and the recovery sweep every few seconds, rate limits out of the way of one busy OMS.
 */
function adapterEnvironment(s: SoakSettings, webhookUrl: string | null, webhookSecret: string): Record<string, string> {
  const webhooks: Record<string, string> = webhookUrl
    ? {
        WEBHOOK_URL: webhookUrl,
        WEBHOOK_SECRET: webhookSecret,
        WEBHOOK_TIMEOUT_MS: String(s.webhooks.timeoutMs),
        WEBHOOK_POLL_INTERVAL_MS: '250',
        WEBHOOK_LEASE_SECONDS: String(Math.max(5, Math.ceil((s.webhooks.timeoutMs * 2) / 1000))),
        WEBHOOK_RETRY_FOR_SECONDS: String(s.webhooks.retryForSeconds),
        WEBHOOK_RETRY_BASE_MS: '200',
        WEBHOOK_RETRY_MAX_MS: '2000',
      }
    : {};
  return {
    ...webhooks,
    // The expiry job on a short cron: holds the soak ages are re-authorized or expired within seconds.
    EXPIRY_CRON: '*/4 * * * * *',
    CLUTCH_TIMEOUT_MS: String(s.clutchTimeoutMs),
    UNKNOWN_OUTCOME_GRACE_MS: String(s.graceMs),
    UNKNOWN_ISSUE_GRACE_MS: String(s.issueGraceMs),
    LOG_LEVEL: process.env.SOAK_ADAPTER_LOG_LEVEL ?? 'error',
    DB_POOL_SIZE: '20',
    SETTLEMENT_CRON: '*/3 * * * * *',
    SETTLEMENT_RETRY_BASE_MS: '500',
    SETTLEMENT_RETRY_MAX_MS: '5000',
    SETTLEMENT_MAX_ATTEMPTS: '10',
    SETTLEMENT_LEASE_SECONDS: '30',
    RECOVERY_CRON: '*/5 * * * * *',
    RECOVERY_MAX_ATTEMPTS: '1000',
    // Calls unresolved this long are given up (transaction.unknown) and still checked: transaction.resolved.
    RECOVERY_GIVE_UP_AFTER_SECONDS: String(s.recoveryGiveUpSeconds),
    RECOVERY_GIVEN_UP_CHECK_SECONDS: '2',
    RATE_LIMIT_PER_KEY_PER_MINUTE: '1000000',
    RATE_LIMIT_PER_CARD_PER_MINUTE: '100000',
  };
}

const CATEGORY_TITLES: Record<Category, string> = {
  'double-redeem': 'double redeems (more than one provider redeem for one settlement)',
  'lost-settlement': 'lost settlements (SETTLED without a redeem, or a redeem no SETTLED settlement accounts for)',
  'orphan-hold': 'holds open at the provider that no OPEN authorization accounts for (or the reverse)',
  'amount-differs': 'amounts that differ (card balance, held, settled, refunded, issued)',
  refund: 'refunds (provider return issues vs SUCCEEDED refunds)',
  'fulfillment-duplicate': 'fulfillments with a duplicate card or value',
  fulfillment: 'fulfillments whose value or card disagrees with their status',
  'told-differs': 'answers a client was told that the end state contradicts',
  'ledger-check': 'GET /_sandbox/ledger/check problems',
  'not-drained': 'left unresolved after the drain (batch settlements, unknown provider outcomes)',
  reconciliation: "the adapter's reconciliation job: differences it listed and did not correct, cards it skipped",
  'new-card-refund': 'refunds to a new card (card loaded once with the refund, PIN shown in exactly one answer)',
  expiry: 'hold expiry (an expiry run refused, an OPEN authorization past its expiresAt)',
  webhook: 'notifications (missing, unexpected, wrong ids or amount, bad signatures, not delivered after redelivery)',
};

function formatReport(
  settings: SoakSettings,
  run: {
    durationS: number;
    orders: number;
    client: RetryingOms['stats'];
    chaos: Chaos['log'];
    drain: DrainResult;
    webhookDrain: WebhookDrainResult | null;
    outages: number;
    facts: Record<string, Record<string, number | string>>;
    findings: Array<{ category: Category; subject: string; detail: string }>;
  },
): string {
  const lines: string[] = [];
  const table = (title: string, rows: Record<string, number | string>) => {
    lines.push(title);
    for (const [k, v] of Object.entries(rows)) lines.push(`  ${k.padEnd(48)} ${v}`);
  };
  lines.push('', '=== soak report ===');
  table('run', {
    orders: run.orders,
    'concurrent clients': settings.concurrency,
    cards: settings.cards,
    seed: settings.seed,
    duration: `${run.durationS.toFixed(0)} s`,
    'fault rates': Object.entries(settings.faults).map(([k, v]) => `${k}=${v}`).join(' '),
    'late landings': settings.faults.lateRate > 0 ? `${settings.faults.lateRate} of provider calls applied ${settings.lateMs} ms late (timeout ${settings.clutchTimeoutMs} + grace ${settings.graceMs} ms)` : 'none',
    'latency spikes': `${run.chaos.spikes} x ${settings.spikeMs} ms of ${settings.spikeLatencyMs}+0..${settings.spikeJitterMs} ms (adapter timeout ${settings.clutchTimeoutMs} ms)`,
    'adapter SIGKILLs': run.chaos.kills.map((k) => `after ${k.afterOrders} orders (restart ${k.restartMs} ms)`).join('; ') || 'none',
    'client requests': run.client.requests,
    'client retries': run.client.attempts - run.client.requests,
    'network errors seen': run.client.networkErrors,
    'requests given up': run.client.gaveUp,
    'drain': `${run.drain.drained ? 'done' : 'TIMED OUT'} in ${(run.drain.ms / 1000).toFixed(0)} s, ${run.drain.rounds} rounds, ${run.drain.reconciliationRuns} reconciliation runs${run.drain.recoveryEndpoint ? '' : ' (no /v1/recovery-runs endpoint)'}`,
    ...Object.fromEntries(Object.entries(run.drain.left).map(([k, v]) => [`after drain: ${k}`, v])),
    webhooks: settings.webhooks.enabled
      ? `receiver fails ${settings.webhooks.failRate}, slow ${settings.webhooks.slowRate} (past the ${settings.webhooks.timeoutMs} ms timeout), ${run.outages} outages of ${settings.webhooks.outageMs} ms, retried for ${settings.webhooks.retryForSeconds} s`
      : 'off',
    'webhook drain': run.webhookDrain ? `${run.webhookDrain.drained ? 'done' : 'NOT DONE'} in ${(run.webhookDrain.ms / 1000).toFixed(0)} s, ${run.webhookDrain.redelivered} FAILED redelivered${run.webhookDrain.redeliveryRefused ? `, ${run.webhookDrain.redeliveryRefused} refused` : ''}` : 'none',
  });
  table('answers given (final, per request)', Object.fromEntries(Object.entries(run.facts.told).sort()));
  table('provider (sandbox ledger)', run.facts.provider);
  table('adapter (database)', run.facts.adapter);
  table("adapter's reconciliation job (after the drain)", run.facts.reconciliation);
  table('refunds to new cards', run.facts['refunds to new cards']);
  table('aged holds (aging -> what became of the chain)', run.facts['aged holds']);
  table('webhooks', run.facts.webhooks);
  lines.push('discrepancies by kind');
  for (const [category, title] of Object.entries(CATEGORY_TITLES) as Array<[Category, string]>) {
    const found = run.findings.filter((f) => f.category === category);
    lines.push(`  ${String(found.length).padStart(5)}  ${title}`);
    for (const f of found.slice(0, 10)) lines.push(`           - ${f.subject}: ${f.detail}`);
    if (found.length > 10) lines.push(`           ... and ${found.length - 10} more`);
  }
  lines.push(`discrepancies: ${run.findings.length}`);
  return lines.join('\n');
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(2);
  },
);
