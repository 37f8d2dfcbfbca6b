import {
  ProviderDeclinedError,
  ProviderInvalidRequestError,
  ProviderOutcomeUnknownError,
  ProviderUnavailableError,
} from '@gcpa/gift-card-provider';
import { ClutchErrorMessages } from '../protocol';
import { CallContext, failureFromNetworkError, failureFromResponse } from './clutch-failure-mapping';

const hold: CallContext = { operation: 'hold', method: 'updateBalance', kind: 'mutating' };
const search: CallContext = { operation: 'balance', method: 'search', kind: 'read' };
const voidCall: CallContext = { operation: 'void', method: 'void', kind: 'mutating' };
const failure = (errorMessage: string) => ({ success: false, errorMessage, requestRef: 'ref-1' });

describe('failureFromResponse', () => {
  it('passes successes through', () => {
    expect(failureFromResponse(200, { success: true, transactionId: 't' }, hold)).toBeNull();
  });

  it.each([
    ['cardNotFound', 'CARD_NOT_FOUND'],
    ['invalidPin', 'INVALID_PIN'],
    ['cardInactive', 'CARD_INACTIVE'],
    ['insufficientFunds', 'INSUFFICIENT_FUNDS'],
    ['holdNotFound', 'HOLD_NOT_AVAILABLE'],
    ['holdClosed', 'HOLD_NOT_AVAILABLE'],
    ['cardSetNotFound', 'CARD_SET_NOT_FOUND'],
    ['cardSetExhausted', 'CARD_SET_EXHAUSTED'],
    ['currencyMismatch', 'CURRENCY_MISMATCH'],
    ['voidNotPossible', 'NOT_VOIDABLE'],
  ] as const)('%s -> declined %s', (key, reason) => {
    const error = failureFromResponse(200, failure(ClutchErrorMessages[key]), hold);
    expect(error).toBeInstanceOf(ProviderDeclinedError);
    expect((error as ProviderDeclinedError).reason).toBe(reason);
    expect(error?.providerMessage).toBe(ClutchErrorMessages[key]);
    expect(error?.details).toMatchObject({ provider: 'clutch', httpStatus: 200, requestRef: 'ref-1' });
  });

  it('a business failure text wins over a 4xx status', () => {
    const error = failureFromResponse(404, failure(ClutchErrorMessages.cardNotFound), search);
    expect((error as ProviderDeclinedError).reason).toBe('CARD_NOT_FOUND');
  });

  it('transactionNotFound is NOT_VOIDABLE on void and HOLD_NOT_AVAILABLE on a redeem from a hold', () => {
    expect((failureFromResponse(200, failure(ClutchErrorMessages.transactionNotFound), voidCall) as ProviderDeclinedError).reason).toBe('NOT_VOIDABLE');
    expect((failureFromResponse(200, failure(ClutchErrorMessages.transactionNotFound), hold) as ProviderDeclinedError).reason).toBe('HOLD_NOT_AVAILABLE');
    expect(failureFromResponse(200, failure(ClutchErrorMessages.transactionNotFound), search)).toBeInstanceOf(ProviderInvalidRequestError);
  });

  it.each([
    [400, failure('Invalid request: amount must be positive')],
    [200, failure('Invalid request: amount must be positive')],
    [400, ''],
    [403, failure('Forbidden')],
    [404, '<html>not found</html>'],
    [405, undefined],
    [200, failure('Something nobody told us about.')],
    [302, ''],
  ])('HTTP %i %j -> invalid request', (status, body) => {
    expect(failureFromResponse(status, body, hold)).toBeInstanceOf(ProviderInvalidRequestError);
  });

  it('401 says the credentials are misconfigured', () => {
    const error = failureFromResponse(401, failure(ClutchErrorMessages.unauthorized), search);
    expect(error).toBeInstanceOf(ProviderInvalidRequestError);
    expect(error?.message).toMatch(/credentials.*misconfigured/);
    expect(error?.details?.httpStatus).toBe(401);
  });

  it.each([
    [500, hold],
    [502, hold],
    [503, hold],
    [503, search],
    [504, search],
    [429, hold],
    [429, search],
    [408, hold],
  ])('HTTP %i -> unavailable', (status, ctx) => {
    const error = failureFromResponse(status, failure(ClutchErrorMessages.internal), ctx);
    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect(error?.retryable).toBe(true);
  });

  it('a gateway timeout on a mutating call is an unknown outcome', () => {
    expect(failureFromResponse(504, '', hold)).toBeInstanceOf(ProviderOutcomeUnknownError);
  });

  it('an unreadable 2xx is unknown for a mutating call and unavailable for a read', () => {
    expect(failureFromResponse(200, 'not json', hold)).toBeInstanceOf(ProviderOutcomeUnknownError);
    expect(failureFromResponse(200, { cards: [] }, search)).toBeInstanceOf(ProviderUnavailableError);
  });

  it('masks card numbers a provider echoes in its message', () => {
    const error = failureFromResponse(400, failure('Invalid request: card 6006491234567890 unknown'), hold);
    expect(error?.providerMessage).toBe('Invalid request: card ****7890 unknown');
  });
});

describe('failureFromNetworkError', () => {
  it.each(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH'])('%s (never sent) -> unavailable, even when mutating', (code) => {
    const error = failureFromNetworkError({ code, message: `connect ${code}` }, hold);
    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect(error.details?.networkCode).toBe(code);
  });

  it.each(['ECONNABORTED', 'ETIMEDOUT', 'ECONNRESET', 'EPIPE', undefined, 'ERR_SOMETHING_NEW'])(
    '%s after sending -> unknown for a mutating call, unavailable for a read',
    (code) => {
      expect(failureFromNetworkError({ code, message: 'socket hang up' }, hold)).toBeInstanceOf(ProviderOutcomeUnknownError);
      expect(failureFromNetworkError({ code, message: 'socket hang up' }, voidCall)).toBeInstanceOf(ProviderOutcomeUnknownError);
      expect(failureFromNetworkError({ code, message: 'socket hang up' }, search)).toBeInstanceOf(ProviderUnavailableError);
    },
  );

  it('names a timeout as such', () => {
    expect(failureFromNetworkError({ code: 'ETIMEDOUT', message: 'timeout of 50ms exceeded' }, hold).message).toMatch(/timed out/);
  });
});
