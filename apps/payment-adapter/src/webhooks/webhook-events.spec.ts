import { webhookData, webhookTypeOf, WEBHOOK_TYPES } from './webhook-events';

describe('webhookTypeOf: which history events the OMS is told about', () => {
  it.each([
    ['SETTLEMENT_REDEEMED', 'PROCESSING', 'SETTLED', 'settlement.settled'],
    ['SETTLEMENT_FAILED', 'PROCESSING', 'FAILED', 'settlement.failed'],
    ['REFUND_ISSUED', 'PENDING', 'SUCCEEDED', 'refund.succeeded'],
    ['FULFILLMENT_ISSUED', 'PENDING', 'COMPLETED', 'fulfillment.completed'],
    ['FULFILLMENT_FAILED', 'PENDING', 'FAILED', 'fulfillment.failed'],
    ['TRANSACTION_GIVEN_UP', 'UNKNOWN', 'UNKNOWN', 'transaction.unknown'],
    ['TRANSACTION_RESOLVED', 'UNKNOWN', 'APPLIED', 'transaction.resolved'],
    ['TRANSACTION_RESOLVED_BY_OPERATOR', 'UNKNOWN', 'NOT_APPLIED', 'transaction.resolved'],
    ['AUTHORIZATION_EXPIRING', 'OPEN', 'OPEN', 'authorization.expiring'],
    ['AUTHORIZATION_EXPIRED', 'OPEN', 'CLOSED/EXPIRED', 'authorization.expired'],
    ['AUTHORIZATION_REAUTHORIZED', 'OPEN', 'CLOSED/REAUTHORIZED', 'authorization.reauthorized'],
  ])('%s (%s -> %s) is %s', (type, fromState, toState, expected) => {
    expect(webhookTypeOf({ type, fromState, toState })).toBe(expected);
  });

  it.each([
    ['AUTHORIZATION_HOLD_APPROVED', 'PENDING', 'OPEN'],
    ['AUTHORIZATION_SETTLED', 'OPEN', 'CLOSED/SETTLED'],
    ['AUTHORIZATION_REVERSED', 'OPEN', 'CLOSED/REVERSED'],
    ['SETTLEMENT_REQUESTED', null, 'OPEN'],
    ['SETTLEMENT_CLAIMED', 'OPEN', 'PROCESSING'],
    ['SETTLEMENT_RETRY_LATER', 'PROCESSING', 'OPEN'],
    ['REFUND_REQUESTED', null, 'PENDING'],
    ['REFUND_DECLINED', 'PENDING', 'FAILED'],
    ['REFUND_OUTCOME_UNKNOWN', 'PENDING', 'PENDING'],
    ['FULFILLMENT_CREATED', null, 'PENDING'],
    ['FULFILLMENT_ACTIVATED', 'PENDING', 'PENDING'],
    ['FULFILLMENT_RETRIED', 'FAILED', 'PENDING'],
  ])('%s (%s -> %s) is not sent: the OMS learns it from its own answer, or it is internal', (type, fromState, toState) => {
    expect(webhookTypeOf({ type, fromState, toState })).toBeNull();
  });

  it('says a fulfillment completed once, when it reaches COMPLETED', () => {
    expect(webhookTypeOf({ type: 'FULFILLMENT_ISSUED', fromState: 'COMPLETED', toState: 'COMPLETED' })).toBeNull();
  });

  it('covers every type of the contract', () => {
    const emitted = new Set(
      ['SETTLEMENT_REDEEMED', 'SETTLEMENT_FAILED', 'REFUND_ISSUED', 'FULFILLMENT_FAILED', 'TRANSACTION_GIVEN_UP', 'TRANSACTION_RESOLVED',
        'AUTHORIZATION_EXPIRING', 'AUTHORIZATION_EXPIRED', 'AUTHORIZATION_REAUTHORIZED']
        .map((type) => webhookTypeOf({ type, fromState: null, toState: null }))
        .concat(webhookTypeOf({ type: 'FULFILLMENT_ISSUED', fromState: 'PENDING', toState: 'COMPLETED' })),
    );
    expect([...emitted].sort()).toEqual([...WEBHOOK_TYPES].sort());
  });
});

describe('webhookData', () => {
  const base = { orderId: 'O-1', type: 'SETTLEMENT_REDEEMED', fromState: 'PROCESSING', toState: 'SETTLED', authorizationId: 'a-1', settlementId: 's-1', amountMinor: 1250n, currency: 'USD' };

  it('carries ids, the amount as a decimal string (minor units of the currency) and the last 4', () => {
    expect(webhookData(base, '4242')).toEqual({
      orderId: 'O-1', authorizationId: 'a-1', settlementId: 's-1', refundId: null, fulfillmentId: null,
      amount: '12.50', currency: 'USD', cardLast4: '4242', status: 'SETTLED',
    });
    expect(webhookData({ ...base, amountMinor: 1250n, currency: 'IQD' }, null).amount).toBe('1.250');
  });

  it('names the transaction and the reason of a transaction or a failure', () => {
    const data = webhookData({ ...base, type: 'TRANSACTION_GIVEN_UP', fromState: 'UNKNOWN', toState: 'UNKNOWN', providerCallId: 'c-1', providerMessage: 'unresolved after 9 checks' }, '4242');
    expect(data).toMatchObject({ transactionId: 'c-1', reason: 'unresolved after 9 checks', providerTransactionId: null });
    expect(webhookData({ ...base, type: 'SETTLEMENT_FAILED', toState: 'FAILED', providerMessage: 'INSUFFICIENT_FUNDS' }, null)).toMatchObject({ reason: 'INSUFFICIENT_FUNDS' });
  });

  it('copies plain detail (a shortfall, an operation), never keys that could hold card data, nor nested values', () => {
    const data = webhookData(
      { ...base, type: 'AUTHORIZATION_EXPIRING', detail: { shortfall: '5.00', operation: 'HOLD', cardNumber: '6000000000000001', pin: '1234', cardLast4: '9999', candidates: [{ id: 1 }], orderId: 'spoofed' } },
      '0001',
    );
    expect(data).toMatchObject({ shortfall: '5.00', operation: 'HOLD', cardLast4: '0001', orderId: 'O-1' });
    expect(JSON.stringify(data)).not.toMatch(/6000000000000001|1234|candidates/);
  });
});
