import { loadConfig } from '@gcpa/config';
import { AdapterConfig } from '../../apps/payment-adapter/src/config/adapter.config';
import { Stack, startStack } from '../harness/stack';
import { authorize, settleLater, sleep } from './job-helpers';

/** The job and the sweep run by themselves on the cron expressions of the configuration. */
describe('settlement job and recovery sweep on their schedules', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('job_schedule', { SETTLEMENT_CRON: '* * * * * *', RECOVERY_CRON: '* * * * * *', CLUTCH_TIMEOUT_MS: '5000' });
  });
  afterAll(() => stack?.stop());

  it('settles a batch settlement without anyone asking for a run', async () => {
    const order = await authorize(stack, '100.00', '30.00');
    const id = await settleLater(stack.oms, order.authorizationId, '30.00', 'INV-1', true);
    let status = 'OPEN';
    for (let i = 0; i < 150 && status !== 'SETTLED'; i++) {
      await sleep(200);
      [{ status }] = await stack.db.query<{ status: string }>(`SELECT status FROM payment_adapter.settlement WHERE id = $1`, [id]);
    }
    expect(status).toBe('SETTLED');
    expect(await stack.admin.card(order.cardNumber)).toMatchObject({ balance: '70.00', held: '0.00' });
  });

  it('refuses a configuration with a bad cron expression, naming the variable', () => {
    expect(() => loadConfig(AdapterConfig, { SETTLEMENT_CRON: 'every minute' })).toThrow(/SETTLEMENT_CRON/);
    expect(() => loadConfig(AdapterConfig, { RECOVERY_CRON: '61 * * * * *' })).toThrow(/RECOVERY_CRON/);
    expect(() => loadConfig(AdapterConfig, { SETTLEMENT_JOB_ENABLED: 'maybe' })).toThrow(/SETTLEMENT_JOB_ENABLED/);
    const defaults = loadConfig(AdapterConfig, {});
    expect(defaults).toMatchObject({ SETTLEMENT_CRON: '0 * * * * *', SETTLEMENT_CONCURRENCY: 8, SETTLEMENT_MAX_ATTEMPTS: 5, SETTLEMENT_JOB_ENABLED: true, RECOVERY_CRON: '*/30 * * * * *' });
  });
});
