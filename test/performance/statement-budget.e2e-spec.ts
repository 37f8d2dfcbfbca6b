import { DataSource } from 'typeorm';
import { MerchantController } from '../../apps/clutch-sandbox/src/protocol/merchant.controller';
import { Counts, Operation, QUIET_ADAPTER_ENV, StatementCounter, WEBHOOKS_ON_ENV, countOperations } from '../../bench/lib/statement-budget';
import { DEV_KEY } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';

/**
 * Issue 16's statement budget, counted through the real stack (the in-process sandbox and adapter over HTTP, the
 * adapter's own pg pool wrapped): the SQL statements and durable commits of each operation, one request at a
 * time, and the provider calls it made. The budget is two commits per provider call (one before it: the
 * idempotency row, the lease, the domain row, the intent; one after it: the outcome, the state change, the event,
 * the idempotency response, the lease release). Counted with notifications off (the default) and on (the webhook
 * outbox is written in the same commits as the history, so it adds statements, not commits).
 */

/**
 * Each operation: the provider calls it makes (the budget is two commits per call), and a REGRESSION GUARD on its
 * statements (what it sends today, with notifications off and on: the webhook outbox adds statements to the same
 * commits). Savepoints count as statements: each of the services' small transactions is one inside a commit.
 */
const OPERATIONS: Record<Operation, { providerCalls: number; statements: number; statementsWithWebhooks: number }> = {
  hold: { providerCalls: 1, statements: 21, statementsWithWebhooks: 21 }, // updateBalance hold (allowPartial false)
  holdPartial: { providerCalls: 2, statements: 21, statementsWithWebhooks: 21 }, // search (the balance read), then the hold of what the card has
  reversal: { providerCalls: 1, statements: 24, statementsWithWebhooks: 24 }, // the release (a redeem of 0 with releaseHoldRemainder)
  settlementFinal: { providerCalls: 1, statements: 38, statementsWithWebhooks: 40 }, // the redeem from the hold, releasing the rest
  settlementPartial: { providerCalls: 3, statements: 53, statementsWithWebhooks: 55 }, // the redeem, then the advanced hold's balance read and hold
  batchSettlement: { providerCalls: 1, statements: 31, statementsWithWebhooks: 33 }, // one final batch settlement drained by a settlement run
};
const operations = Object.keys(OPERATIONS) as Operation[];

budgetSuite('statement budget per request (issue 16)', {}, 'statements');
budgetSuite('statement budget per request, notifications on (issue 16)', WEBHOOKS_ON_ENV, 'statementsWithWebhooks');

async function countWith(env: Record<string, string>): Promise<{ stack: Stack; counts: Counts }> {
  const stack = await startStack('statement_budget', { ...QUIET_ADAPTER_ENV, ...env });
  const counter = new StatementCounter().attach(stack.adapter.app.get(DataSource)).attachProvider(stack.sandbox.app.get(MerchantController));
  const counts = await countOperations({ adapterUrl: stack.adapter.url, sandboxUrl: stack.sandbox.url, apiKey: DEV_KEY, counter });
  return { stack, counts };
}

function budgetSuite(name: string, env: Record<string, string>, guard: 'statements' | 'statementsWithWebhooks') {
  describe(name, () => {
    let stack: Stack;
    let counts: Counts;
    beforeAll(async () => {
      ({ stack, counts } = await countWith(env));
      console.log(
        Object.entries(counts)
          .map(([name, c]) => `${name}: ${c.statements} statements, ${c.commits} commits, ${c.providerCalls} provider calls${process.env.BUDGET_LOG ? `\n${c.log.join('\n')}` : ''}`)
          .join('\n'),
      );
    }, 120000);
    afterAll(() => stack?.stop());

    it.each(operations)('%s makes the provider calls it needs, no more', (operation) => {
      expect(counts[operation].providerCalls).toBe(OPERATIONS[operation].providerCalls);
    });

    it.each(operations)('%s: at most two commits per provider call, and no more statements than today', (operation) => {
      const count = counts[operation];
      const budget = { commits: 2 * OPERATIONS[operation].providerCalls, statements: OPERATIONS[operation][guard] };
      if (count.commits > budget.commits || count.statements > budget.statements) {
        throw new Error(`${operation} is over ${JSON.stringify(budget)}: ${count.statements} statements, ${count.commits} commits\n${count.log.join('\n')}`);
      }
      expect(count.rollbacks).toBe(0);
    });
  });
}

describe('the budget test itself', () => {
  it('fails when each small transaction commits on its own (UNIT_OF_WORK=false)', async () => {
    const { stack, counts } = await countWith({ UNIT_OF_WORK: 'false' });
    try {
      const over = operations.filter((operation) => counts[operation].commits > 2 * OPERATIONS[operation].providerCalls);
      expect(over).toEqual(expect.arrayContaining(['hold', 'reversal', 'settlementFinal', 'batchSettlement']));
    } finally {
      await stack.stop();
    }
  }, 120000);
});
