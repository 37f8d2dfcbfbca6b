import { randomUUID } from 'node:crypto';
import { SandboxCard, withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';

const redeemsAt = (card: SandboxCard) => card.history.filter((t) => t.action === 'redeem' && !t.voided);

/**
 * An invoice settles once per authorization chain: another Idempotency-Key with the same `invoiceId` and the
 * same amount answers the first settlement again; with another amount it is 409. The database enforces it
 * too (a unique index on (root_authorization_id, invoice_id)), so two racing requests never both redeem.
 */
describe('an invoice settles once', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('invoice_once', { RECOVERY_ENABLED: 'false', SETTLEMENT_JOB_ENABLED: 'false' });
  });
  afterAll(() => stack?.stop());

  async function authorize(balance: string, amount: string) {
    const card = await stack.admin.createCard(balance);
    const response = await stack.oms.post('/v1/authorizations', { orderId: `O-${randomUUID()}`, cardNumber: card.cardNumber, pin: card.pin, amount, currency: 'USD' }, withKey());
    expect(response.status).toBe(201);
    return { card, authorizationId: response.data.authorizationId as string };
  }
  const settle = (body: Record<string, unknown>, key = randomUUID()) => stack.oms.post('/v1/settlements', body, withKey(key));
  const settlementRows = (authorizationId: string) =>
    stack.db.query<{ id: string; invoice_id: string; amount_minor: string; status: string }>(
      `SELECT s.id, s.invoice_id, s.amount_minor, s.status FROM payment_adapter.settlement s
         JOIN payment_adapter.authorization_hold a ON a.root_id = s.root_authorization_id WHERE a.id = $1 ORDER BY s.created_at`,
      [authorizationId],
    );

  it('answers the first settlement again for the same invoice and amount under another key, redeeming once', async () => {
    const { card, authorizationId } = await authorize('100.00', '50.00');
    const first = await settle({ authorizationId, amount: '20.00', invoiceId: 'INV-1' });
    expect(first.status).toBe(201);
    // The OMS quotes the advanced hold now, or still the first authorization: one chain either way.
    const again = await settle({ authorizationId: first.data.advancedAuthorization.authorizationId, amount: '20.00', invoiceId: 'INV-1' });
    expect(again.status).toBe(201);
    expect(again.data).toMatchObject({ settlementId: first.data.settlementId, status: 'SETTLED', settledAmount: '20.00' });
    const ledger = await stack.admin.card(card.cardNumber);
    expect(redeemsAt(ledger).map((t) => t.amount)).toEqual(['20.00']);
    expect(ledger).toMatchObject({ balance: '80.00', held: '30.00' });
    expect(await settlementRows(authorizationId)).toHaveLength(1);
  });

  it('refuses the same invoice with another amount (409 INVOICE_ALREADY_SETTLED), redeeming nothing', async () => {
    const { card, authorizationId } = await authorize('100.00', '50.00');
    const first = await settle({ authorizationId, amount: '20.00', invoiceId: 'INV-1' });
    expect(first.status).toBe(201);
    const other = await settle({ authorizationId, amount: '25.00', invoiceId: 'INV-1' });
    expect(other.status).toBe(409);
    expect(other.data.error).toMatchObject({
      code: 'INVOICE_ALREADY_SETTLED',
      details: { invoiceId: 'INV-1', settlementId: first.data.settlementId, amount: '20.00' },
    });
    // The first was partial: another invoice still settles from the chain.
    expect((await settle({ authorizationId, amount: '25.00', invoiceId: 'INV-2' })).status).toBe(201);
    expect(redeemsAt(await stack.admin.card(card.cardNumber)).map((t) => t.amount).sort()).toEqual(['20.00', '25.00']);
  });

  it('answers the first settlement after a final one closed the chain, instead of AUTHORIZATION_CLOSED', async () => {
    const { authorizationId } = await authorize('100.00', '30.00');
    const first = await settle({ authorizationId, amount: '30.00', invoiceId: 'INV-F', final: true });
    expect(first.status).toBe(201);
    const again = await settle({ authorizationId, amount: '30.00', invoiceId: 'INV-F', final: true });
    expect(again.status).toBe(201);
    expect(again.data.settlementId).toBe(first.data.settlementId);
  });

  it('answers a batch settlement of the invoice again (202, its Location)', async () => {
    const { card, authorizationId } = await authorize('100.00', '30.00');
    const first = await settle({ authorizationId, amount: '10.00', invoiceId: 'INV-B', mode: 'batch' });
    expect(first.status).toBe(202);
    const again = await settle({ authorizationId, amount: '10.00', invoiceId: 'INV-B', mode: 'batch' });
    expect(again.status).toBe(202);
    expect(again.data.settlementId).toBe(first.data.settlementId);
    expect(again.headers.location).toBe(`/v1/settlements/${first.data.settlementId}`);
    expect(await stack.admin.card(card.cardNumber)).toMatchObject({ balance: '100.00', held: '30.00' });
  });

  it('settles the same invoice id on two chains (two cards of one invoice)', async () => {
    const a = await authorize('100.00', '10.00');
    const b = await authorize('100.00', '10.00');
    expect((await settle({ authorizationId: a.authorizationId, amount: '10.00', invoiceId: 'INV-SPLIT', final: true })).status).toBe(201);
    expect((await settle({ authorizationId: b.authorizationId, amount: '10.00', invoiceId: 'INV-SPLIT', final: true })).status).toBe(201);
  });

  it('redeems once when two keys race with the same invoice and amount, and never answers 500', async () => {
    const { card, authorizationId } = await authorize('100.00', '50.00');
    const responses = await Promise.all(Array.from({ length: 4 }, () => settle({ authorizationId, amount: '20.00', invoiceId: 'INV-RACE' })));
    expect(responses.map((r) => r.status)).toEqual([201, 201, 201, 201]);
    expect(new Set(responses.map((r) => r.data.settlementId)).size).toBe(1);
    const ledger = await stack.admin.card(card.cardNumber);
    expect(redeemsAt(ledger).map((t) => t.amount)).toEqual(['20.00']);
    expect(ledger).toMatchObject({ balance: '80.00', held: '30.00' });
    expect(await settlementRows(authorizationId)).toHaveLength(1);
    expect((await stack.admin.ledgerCheck()).ok).toBe(true);
  });

  it('settles one of two racing amounts of one invoice and answers the other 409', async () => {
    const { card, authorizationId } = await authorize('100.00', '50.00');
    const responses = await Promise.all([
      settle({ authorizationId, amount: '20.00', invoiceId: 'INV-RACE2' }),
      settle({ authorizationId, amount: '15.00', invoiceId: 'INV-RACE2' }),
    ]);
    expect(responses.map((r) => r.status).sort()).toEqual([201, 409]);
    const conflict = responses.find((r) => r.status === 409)!;
    expect(conflict.data.error.code).toBe('INVOICE_ALREADY_SETTLED');
    const settled = responses.find((r) => r.status === 201)!;
    expect(redeemsAt(await stack.admin.card(card.cardNumber)).map((t) => t.amount)).toEqual([settled.data.settledAmount]);
    expect(await settlementRows(authorizationId)).toHaveLength(1);
  });

  it('is enforced by a unique index on (root_authorization_id, invoice_id)', async () => {
    const { authorizationId } = await authorize('100.00', '50.00');
    const first = await settle({ authorizationId, amount: '20.00', invoiceId: 'INV-DB' });
    expect(first.status).toBe(201);
    const copy = stack.db.query(
      `INSERT INTO payment_adapter.settlement (id, order_id, authorization_id, root_authorization_id, invoice_id, currency, amount_minor, final, mode, status)
       SELECT $2, order_id, authorization_id, root_authorization_id, invoice_id, currency, amount_minor, final, mode, 'OPEN'
         FROM payment_adapter.settlement WHERE id = $1`,
      [first.data.settlementId, randomUUID()],
    );
    await expect(copy).rejects.toMatchObject({ code: '23505', constraint: 'settlement_invoice_once' });
  });
});
