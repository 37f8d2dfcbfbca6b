import { QueryFailedError } from 'typeorm';
import { IllegalTransitionError, nextSettlementStatus } from '../authorizations/authorization-state';
import { toErrorResponse } from './error.filter';
import { businessRule } from './domain-errors';
import { unknownOutcomeFor } from './unrecoverable-state';

const post = (url: string) => ({ method: 'POST', routeOptions: { url } });

describe('unknownOutcomeFor: what cannot be recorded on a money-moving route is 503 UNKNOWN', () => {
  const illegal = (() => {
    try {
      nextSettlementStatus('SETTLED', 'CLAIMED');
    } catch (error) {
      return error;
    }
  })();
  const duplicate = new QueryFailedError('INSERT INTO authorization_hold ...', [], Object.assign(new Error('duplicate key value'), { code: '23505' }));
  const terminated = new Error('Connection terminated unexpectedly');

  it.each([
    ['an illegal transition', illegal],
    ['a duplicate insert (23505)', duplicate],
    ['a lost connection', terminated],
  ])('%s answers 503 PROVIDER_OUTCOME_UNKNOWN with outcome UNKNOWN', (_what, error) => {
    expect(illegal).toBeInstanceOf(IllegalTransitionError);
    for (const route of ['/v1/authorizations', '/v1/authorizations/:id/reversals', '/v1/settlements', '/v1/refunds', '/v1/gift-card-fulfillments']) {
      const mapped = unknownOutcomeFor(error, post(route));
      expect(mapped).toBeDefined();
      expect(toErrorResponse(mapped)).toEqual({
        status: 503,
        body: { error: { code: 'PROVIDER_OUTCOME_UNKNOWN', message: expect.any(String), details: { outcome: 'UNKNOWN', retryable: true } } },
      });
    }
  });

  it('leaves reads, other routes, domain errors and bugs alone', () => {
    expect(unknownOutcomeFor(duplicate, { method: 'GET', routeOptions: { url: '/v1/authorizations/:id' } })).toBeUndefined();
    expect(unknownOutcomeFor(duplicate, post('/v1/balance-inquiries'))).toBeUndefined();
    expect(unknownOutcomeFor(businessRule('AMOUNT_EXCEEDS_HELD', 'no'), post('/v1/settlements'))).toBeUndefined();
    expect(unknownOutcomeFor(new TypeError('x is undefined'), post('/v1/settlements'))).toBeUndefined();
    expect(unknownOutcomeFor(illegal, undefined)).toBeUndefined();
  });
});
