import { randomUUID } from 'node:crypto';
import { LeaseFence, LeaseLostError } from '../../apps/payment-adapter/src/common/lease-fence';
import { RowLease } from '../../apps/payment-adapter/src/common/row-lease';
import { withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';

/**
 * Issue 16: a work's last transaction may release its row lease in the same commit (LeaseFence.releaseWith, used by
 * a new hold's approval). The release stands only if that transaction commits; after it the work writes nothing
 * more under the lease; a release rolled back with its transaction leaves the lease held, and released at the end.
 */
describe('a row lease released in the commit of the last write', () => {
  let stack: Stack;
  let lease: RowLease;
  let fence: LeaseFence;
  let id: string;
  const owner = async () =>
    (await stack.db.query<{ lock_owner: string | null }>(`SELECT lock_owner FROM payment_adapter.authorization_hold WHERE id = $1`, [id]))[0].lock_owner;

  beforeAll(async () => {
    stack = await startStack('lease_release_with', { RECOVERY_ENABLED: 'false', SETTLEMENT_JOB_ENABLED: 'false' });
    lease = stack.adapter.app.get(RowLease);
    fence = stack.adapter.app.get(LeaseFence);
    const card = await stack.admin.createCard('100.00');
    const hold = await stack.oms.post('/v1/authorizations', { orderId: `O-${randomUUID()}`, cardNumber: card.cardNumber, pin: card.pin, amount: '10.00', currency: 'USD' }, withKey());
    expect(hold.status).toBe(201);
    id = hold.data.authorizationId;
  });
  afterAll(() => stack?.stop());

  it('a new hold leaves its chain unlocked (released with its approval)', async () => {
    expect(await owner()).toBeNull();
  });

  it('released with the commit; a later fenced write of the work is refused', async () => {
    const done = await lease.tryRun('authorization_hold', id, 0, async () => {
      expect(await owner()).not.toBeNull();
      await fence.transaction((manager) => fence.releaseWith(manager));
      expect(await owner()).toBeNull();
      await expect(fence.transaction(async () => 'written')).rejects.toBeInstanceOf(LeaseLostError);
      return 'ok';
    });
    expect(done).toEqual({ value: 'ok' });
    expect(await owner()).toBeNull();
  });

  it('a release rolled back with its transaction leaves the lease held, then released at the end of the work', async () => {
    const done = await lease.tryRun('authorization_hold', id, 0, async () => {
      const mine = await owner();
      expect(mine).not.toBeNull();
      await expect(
        fence.transaction(async (manager) => {
          await fence.releaseWith(manager);
          throw new Error('the commit did not happen');
        }),
      ).rejects.toThrow('the commit did not happen');
      expect(await owner()).toBe(mine);
      await expect(fence.transaction(async () => 'written')).resolves.toBe('written');
      return 'ok';
    });
    expect(done).toEqual({ value: 'ok' });
    expect(await owner()).toBeNull();
  });
});
