import { writeFileSync } from 'node:fs';
import { sandboxAdmin } from '../harness/clients';
import { startProcesses } from '../harness/spawned-stack';
import { Chaos } from './chaos';
import { DrainResult, drainBacklog, runReconciliationJob } from './drain';
import { RetryingOms } from './oms-client';
import { cardPlans, money, OrderRecord, PopulationCard, runOrder } from './orders';
import { Category, reconcile } from './reconcile';
import { seededRandom, SoakSettings, soakSettings } from './settings';

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

  const stack = await startProcesses('soak', adapterEnvironment(settings));
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
          orders.push(await runOrder(oms, orderDice, `soak-${runTag}-${index}`, card, settings.duplicateRate));
          done += 1;
          chaos.onOrderDone(done);
          if (done % progressEvery === 0) say(`${done}/${settings.orders} orders, ${oms.stats.requests} requests, ${oms.stats.attempts - oms.stats.requests} retries`);
        }
      }),
    );
    await chaos.finishKills(done);
    await chaos.stop();
    say(`orders done; faults cleared; ${chaos.log.kills.length} kills, ${chaos.log.spikes} latency spikes`);

    const faultsClearedAt = Date.now();
    const drain = await drainBacklog(stack.db, target, settings.drainMs, say);
    // Late calls still on their way land within lateMs of the faults' end; their holds must then grow older
    // than the grace period before the reconciliation job may take them for orphans.
    const job = await runReconciliationJob(target, faultsClearedAt + settings.lateMs + settings.graceMs + 1000, say);
    // A stable snapshot: nothing of the adapter runs while the three views are read.
    await adapter.process.kill('SIGTERM');
    const result = await reconcile(stack.db, admin, population, orders, job);

    const report = formatReport(settings, {
      durationS: (Date.now() - started) / 1000,
      orders: orders.length,
      client: oms.stats,
      chaos: chaos.log,
      drain,
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
function adapterEnvironment(s: SoakSettings): Record<string, string> {
  return {
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
};

function formatReport(
  settings: SoakSettings,
  run: {
    durationS: number;
    orders: number;
    client: RetryingOms['stats'];
    chaos: Chaos['log'];
    drain: DrainResult;
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
  });
  table('answers given (final, per request)', Object.fromEntries(Object.entries(run.facts.told).sort()));
  table('provider (sandbox ledger)', run.facts.provider);
  table('adapter (database)', run.facts.adapter);
  table("adapter's reconciliation job (after the drain)", run.facts.reconciliation);
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
