import {
  ProviderDeclinedError,
  ProviderError,
  ProviderInvalidRequestError,
  ProviderOutcomeUnknownError,
  ProviderUnavailableError,
} from '@gcpa/gift-card-provider';
import { CLUTCH_ERRORS, ClutchRefusal, ClutchTransportMessages, parseErrorCodeOverrides, refusalByMessage } from '../errors';
import { CallContext, failureFromNetworkError, failureFromResponse, refusalMeaning } from './clutch-failure-mapping';

const hold: CallContext = { operation: 'hold', method: 'updateBalance', kind: 'mutating' };
const search: CallContext = { operation: 'balance', method: 'search', kind: 'read' };
const voidCall: CallContext = { operation: 'void', method: 'voidTransaction', kind: 'mutating' };
const allocate: CallContext = { operation: 'allocate', method: 'allocate', kind: 'mutating' };
const history: CallContext = { operation: 'resolveLostCall', method: 'cardHistory', kind: 'read' };

/** Clutch's refusal as recorded: HTTP 400 with an integer code and a text. */
const refusal = (errorCode: number | undefined, errorMessage: string) => ({
  success: false,
  ...(errorCode === undefined ? {} : { errorCode }),
  errorMessage,
  requestRef: 'ref-1',
});
const row = (key: ClutchRefusal) => refusal(CLUTCH_ERRORS[key].code, CLUTCH_ERRORS[key].message);
const reasonOf = (error: ProviderError | null) => (error instanceof ProviderDeclinedError ? error.reason : error?.constructor.name ?? 'null');

describe('failureFromResponse', () => {
  it('passes successes through', () => {
    expect(failureFromResponse(200, { success: true, transactionId: 't', requestRef: 'r' }, hold)).toBeNull();
    expect(failureFromResponse(200, { success: true, cards: [], requestRef: 'r' }, search)).toBeNull();
  });

  describe('HTTP 400 refusals, by code first', () => {
    it('errorCode 10 is a wrong PIN: declined INVALID_PIN, with the code, text and Clutch request reference', () => {
      const error = failureFromResponse(400, refusal(10, 'Invalid card PIN.'), search);
      expect(error).toBeInstanceOf(ProviderDeclinedError);
      expect((error as ProviderDeclinedError).reason).toBe('INVALID_PIN');
      expect(error?.providerMessage).toBe('Invalid card PIN.');
      expect(error?.details).toEqual({
        provider: 'clutch',
        operation: 'balance',
        providerMethod: 'search',
        httpStatus: 400,
        requestRef: 'ref-1',
        errorCode: 10,
      });
    });

    it('errorCode 6 (no card number) is our bad request, not a decline, and is in the table (not flagged)', () => {
      const error = failureFromResponse(400, refusal(6, 'No card number was specified.'), hold);
      expect(error).toBeInstanceOf(ProviderInvalidRequestError);
      expect(error?.details).toMatchObject({ errorCode: 6, httpStatus: 400 });
      expect(error?.details?.unrecognised).toBeUndefined();
    });

    it('the code wins over a text that names another row', () => {
      expect(reasonOf(failureFromResponse(400, refusal(10, CLUTCH_ERRORS.cardNotFound.message), search))).toBe('INVALID_PIN');
    });

    it.each([
      ['cardNotFound', 'CARD_NOT_FOUND'],
      ['cardInactive', 'CARD_INACTIVE'],
      ['insufficientFunds', 'INSUFFICIENT_FUNDS'],
      ['holdNotFound', 'HOLD_NOT_AVAILABLE'],
      ['holdClosed', 'HOLD_NOT_AVAILABLE'],
      ['cardSetNotFound', 'CARD_SET_NOT_FOUND'],
      ['cardSetExhausted', 'CARD_SET_EXHAUSTED'],
      ['currencyMismatch', 'CURRENCY_MISMATCH'],
      ['transactionNotFound', 'NOT_VOIDABLE'],
      ['voidNotPossible', 'NOT_VOIDABLE'],
    ] as const)('our code for %s (a 9xx) -> declined %s, even with another text', (key, reason) => {
      expect(CLUTCH_ERRORS[key].code).toBeGreaterThanOrEqual(900);
      expect(reasonOf(failureFromResponse(400, row(key), hold))).toBe(reason);
      expect(reasonOf(failureFromResponse(400, refusal(CLUTCH_ERRORS[key].code, 'Some other words.'), hold))).toBe(reason);
    });

    it('our code for an invalid request (911) -> invalid request', () => {
      expect(failureFromResponse(400, refusal(911, 'Invalid request: amount is required'), hold)).toBeInstanceOf(ProviderInvalidRequestError);
    });

    it('a success: false answer is a refusal whatever its status', () => {
      expect(reasonOf(failureFromResponse(200, row('insufficientFunds'), hold))).toBe('INSUFFICIENT_FUNDS');
    });
  });

  describe('by text when the code is not known', () => {
    it.each([
      ['Could not find the specified card.', 'CARD_NOT_FOUND'],
      ['Could not find the account that goes with the specified card.', 'CARD_INACTIVE'],
      ['Invalid card PIN.', 'INVALID_PIN'],
    ])('an unknown code with the text %j -> declined %s', (text, reason) => {
      const error = failureFromResponse(400, refusal(4711, text), search);
      expect(reasonOf(error)).toBe(reason);
      expect(error?.details?.errorCode).toBe(4711);
      expect(error?.details?.unrecognised).toBeUndefined();
    });

    it('no code at all falls back to the text too', () => {
      expect(reasonOf(failureFromResponse(400, refusal(undefined, 'Could not find the specified card.'), search))).toBe('CARD_NOT_FOUND');
    });

    it('a text starting "Invalid request:" is a bad request of ours', () => {
      expect(failureFromResponse(400, refusal(4711, 'Invalid request: amount.amount must be a number'), hold)).toBeInstanceOf(
        ProviderInvalidRequestError,
      );
    });
  });

  describe('neither code nor text known', () => {
    it('-> invalid request (never a decline), flagged unrecognised with its code so an operator extends the table', () => {
      const error = failureFromResponse(400, refusal(77, 'Card is frozen by the fraud team.'), hold);
      expect(error).toBeInstanceOf(ProviderInvalidRequestError);
      expect(error).not.toBeInstanceOf(ProviderDeclinedError);
      expect(error?.message).toMatch(/errorCode 77/);
      expect(error?.providerMessage).toBe('Card is frozen by the fraud team.');
      expect(error?.details).toMatchObject({ unrecognised: true, errorCode: 77, httpStatus: 400, requestRef: 'ref-1', providerMethod: 'updateBalance' });
    });

    it.each([
      [400, refusal(undefined, 'Something nobody told us about.')],
      [200, refusal(undefined, 'Something nobody told us about.')],
      [400, ''],
      [403, refusal(undefined, 'Forbidden')],
      [404, '<html>not found</html>'],
      [405, undefined],
    ])('HTTP %i %j -> invalid request, unrecognised', (status, body) => {
      const error = failureFromResponse(status, body, hold);
      expect(error).toBeInstanceOf(ProviderInvalidRequestError);
      expect(error?.details?.unrecognised).toBe(true);
    });

    it('a code that is not an integer is no code', () => {
      const error = failureFromResponse(400, { success: false, errorCode: '10', errorMessage: 'Huh.' }, search);
      expect(error).toBeInstanceOf(ProviderInvalidRequestError);
      expect(error?.details?.errorCode).toBeUndefined();
    });

    it('a 404 hints at the base URL, a 403 at the key', () => {
      expect(failureFromResponse(404, '', hold)?.message).toMatch(/CLUTCH_BASE_URL/);
      expect(failureFromResponse(403, '', hold)?.message).toMatch(/not be allowed/);
    });

    it('a redirect is invalid (check the base URL)', () => {
      expect(failureFromResponse(302, '', hold)?.message).toMatch(/redirect.*CLUTCH_BASE_URL/);
    });
  });

  describe('overrides (CLUTCH_ERROR_CODES)', () => {
    const overrides = parseErrorCodeOverrides('77=INSUFFICIENT_FUNDS,10=CARD_INACTIVE,903=INVALID_REQUEST');

    it('a code learned from a real account maps as configured', () => {
      const error = failureFromResponse(400, refusal(77, 'Not enough value on the card.'), hold, overrides);
      expect(reasonOf(error)).toBe('INSUFFICIENT_FUNDS');
      expect(error?.details?.unrecognised).toBeUndefined();
    });

    it('wins over the built-in table and over the text', () => {
      expect(reasonOf(failureFromResponse(400, refusal(10, 'Invalid card PIN.'), hold, overrides))).toBe('CARD_INACTIVE');
      expect(failureFromResponse(400, row('insufficientFunds'), hold, overrides)).toBeInstanceOf(ProviderInvalidRequestError);
    });

    it('codes it does not name still use the built-in table', () => {
      expect(reasonOf(failureFromResponse(400, row('holdClosed'), hold, overrides))).toBe('HOLD_NOT_AVAILABLE');
    });
  });

  describe('transport statuses', () => {
    it('401 -> invalid request naming the misconfigured credentials', () => {
      for (const ctx of [search, hold]) {
        const error = failureFromResponse(401, refusal(undefined, ClutchTransportMessages.unauthorized), ctx);
        expect(error).toBeInstanceOf(ProviderInvalidRequestError);
        expect(error?.message).toMatch(/credentials.*misconfigured/);
        expect(error?.message).toMatch(/CLUTCH_API_KEY/);
        expect(error?.details?.httpStatus).toBe(401);
      }
    });

    it.each([hold, search, voidCall])('429 on $method -> unavailable (the bucket refused it: not applied)', (ctx) => {
      const error = failureFromResponse(429, refusal(undefined, ClutchTransportMessages.rateLimited), ctx);
      expect(error).toBeInstanceOf(ProviderUnavailableError);
      expect(error?.retryable).toBe(true);
    });

    it('429 is unavailable by its status alone, whatever its body says', () => {
      for (const body of ['', undefined, refusal(77, 'Slow down.'), row('insufficientFunds')]) {
        expect(failureFromResponse(429, body, hold)).toBeInstanceOf(ProviderUnavailableError);
      }
    });

    it('the rate-limit text is unavailable whatever the status', () => {
      expect(failureFromResponse(400, refusal(undefined, ClutchTransportMessages.rateLimited), hold)).toBeInstanceOf(ProviderUnavailableError);
    });

    it.each([500, 502, 503, 504, 599])('HTTP %i on a mutating call -> outcome unknown (it may have been applied)', (status) => {
      for (const ctx of [hold, voidCall, allocate]) {
        const error = failureFromResponse(status, refusal(undefined, ClutchTransportMessages.internal), ctx);
        expect(error).toBeInstanceOf(ProviderOutcomeUnknownError);
        expect(error?.retryable).toBe(false);
        expect(error?.details).toMatchObject({ httpStatus: status, providerMethod: ctx.method });
      }
      expect(failureFromResponse(status, '', hold)).toBeInstanceOf(ProviderOutcomeUnknownError);
    });

    it('a 5xx is unknown even when its body looks like a refusal of ours', () => {
      expect(failureFromResponse(500, row('insufficientFunds'), hold)).toBeInstanceOf(ProviderOutcomeUnknownError);
    });

    it.each([500, 502, 503, 504])('HTTP %i on a read -> unavailable (retried)', (status) => {
      for (const ctx of [search, history]) {
        const error = failureFromResponse(status, refusal(undefined, ClutchTransportMessages.internal), ctx);
        expect(error).toBeInstanceOf(ProviderUnavailableError);
        expect(error?.retryable).toBe(true);
      }
    });

    it('408 (the server gave up reading the request) -> unavailable, even when mutating', () => {
      expect(failureFromResponse(408, '', hold)).toBeInstanceOf(ProviderUnavailableError);
    });
  });

  it('an unreadable 2xx is unknown for a mutating call and unavailable for a read', () => {
    expect(failureFromResponse(200, 'not json', hold)).toBeInstanceOf(ProviderOutcomeUnknownError);
    expect(failureFromResponse(200, { cards: [] }, search)).toBeInstanceOf(ProviderUnavailableError);
  });

  it('masks card numbers a provider echoes in its message', () => {
    const error = failureFromResponse(400, refusal(77, 'card 6006491234567890 unknown'), hold);
    expect(error?.providerMessage).toBe('card ****7890 unknown');
    expect(JSON.stringify(error?.details)).not.toContain('6006491234567890');
  });
});

describe('refusalMeaning', () => {
  it('by code, then by text, else undefined', () => {
    expect(refusalMeaning(10, 'whatever')).toBe('INVALID_PIN');
    expect(refusalMeaning(4711, 'Could not find the specified card.')).toBe('CARD_NOT_FOUND');
    expect(refusalMeaning(undefined, 'Could not find the account that goes with the specified card.')).toBe('CARD_INACTIVE');
    expect(refusalMeaning(4711, 'Nope.')).toBeUndefined();
    expect(refusalMeaning(undefined, undefined)).toBeUndefined();
    expect(refusalMeaning(4711, undefined, new Map([[4711, 'NOT_VOIDABLE']]))).toBe('NOT_VOIDABLE');
  });
});

describe('the error table', () => {
  it('has one row per code', () => {
    const codes = Object.values(CLUTCH_ERRORS).map((r) => r.code);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('marks what recorded traffic confirms; every unconfirmed or text-only row has a 9xx code of ours', () => {
    expect(CLUTCH_ERRORS.invalidPin).toMatchObject({ code: 10, confirmed: 'code-and-message' });
    expect(CLUTCH_ERRORS.noCardNumber).toMatchObject({ code: 6, confirmed: 'code-and-message' });
    expect(CLUTCH_ERRORS.cardNotFound.confirmed).toBe('message');
    expect(CLUTCH_ERRORS.cardInactive.confirmed).toBe('message');
    for (const r of Object.values(CLUTCH_ERRORS)) {
      if (r.confirmed !== 'code-and-message') expect(r.code).toBeGreaterThanOrEqual(900);
    }
  });
});

describe('refusalByMessage', () => {
  it('finds a row by its exact text', () => {
    expect(refusalByMessage('Could not find the specified card.')).toBe(CLUTCH_ERRORS.cardNotFound);
    expect(refusalByMessage('Could not find the account that goes with the specified card.')).toBe(CLUTCH_ERRORS.cardInactive);
    expect(refusalByMessage('Invalid card PIN.')).toBe(CLUTCH_ERRORS.invalidPin);
    expect(refusalByMessage('No card number was specified.')).toBe(CLUTCH_ERRORS.noCardNumber);
  });

  it('finds a validation failure by its prefix', () => {
    expect(refusalByMessage('Invalid request: amount is required')).toBe(CLUTCH_ERRORS.invalidRequest);
  });

  it('knows nothing else, not even a near miss', () => {
    expect(refusalByMessage('Could not find the specified card')).toBeUndefined();
    expect(refusalByMessage('could not find the specified card.')).toBeUndefined();
    expect(refusalByMessage('')).toBeUndefined();
    expect(refusalByMessage('Something new.')).toBeUndefined();
  });
});

describe('parseErrorCodeOverrides', () => {
  it('reads code=MEANING pairs, spaces and empty entries tolerated', () => {
    expect(parseErrorCodeOverrides(' 903=INSUFFICIENT_FUNDS, 12=HOLD_NOT_AVAILABLE ,,7=INVALID_REQUEST')).toEqual(
      new Map([
        [903, 'INSUFFICIENT_FUNDS'],
        [12, 'HOLD_NOT_AVAILABLE'],
        [7, 'INVALID_REQUEST'],
      ]),
    );
  });

  it('nothing configured is an empty map', () => {
    expect(parseErrorCodeOverrides(undefined).size).toBe(0);
    expect(parseErrorCodeOverrides('').size).toBe(0);
    expect(parseErrorCodeOverrides('  ').size).toBe(0);
  });

  it('a later entry for the same code wins', () => {
    expect(parseErrorCodeOverrides('12=CARD_INACTIVE,12=CARD_NOT_FOUND').get(12)).toBe('CARD_NOT_FOUND');
  });

  it.each(['12', '12=', '=CARD_INACTIVE', 'x=CARD_INACTIVE', '12=card_inactive', '12=NOT_A_MEANING', '-1=CARD_INACTIVE', '12:CARD_INACTIVE', '1234567890=CARD_INACTIVE'])(
    'refuses %j, naming the entry and the meanings allowed',
    (text) => {
      expect(() => parseErrorCodeOverrides(`903=INSUFFICIENT_FUNDS,${text}`)).toThrow(TypeError);
      expect(() => parseErrorCodeOverrides(text)).toThrow(new RegExp(`"${text}".*INSUFFICIENT_FUNDS`));
    },
  );
});

describe('failureFromNetworkError', () => {
  it.each(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'CERT_HAS_EXPIRED'])('%s (never sent) -> unavailable, even when mutating', (code) => {
    const error = failureFromNetworkError({ code, message: `connect ${code}` }, hold);
    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect(error.details?.networkCode).toBe(code);
  });

  it.each(['ECONNABORTED', 'ETIMEDOUT', 'ECONNRESET', 'EPIPE', undefined, 'ERR_SOMETHING_NEW'])(
    '%s after sending -> unknown for a mutating call, unavailable for a read',
    (code) => {
      expect(failureFromNetworkError({ code, message: 'socket hang up' }, hold)).toBeInstanceOf(ProviderOutcomeUnknownError);
      expect(failureFromNetworkError({ code, message: 'socket hang up' }, voidCall)).toBeInstanceOf(ProviderOutcomeUnknownError);
      expect(failureFromNetworkError({ code, message: 'socket hang up' }, allocate)).toBeInstanceOf(ProviderOutcomeUnknownError);
      expect(failureFromNetworkError({ code, message: 'socket hang up' }, search)).toBeInstanceOf(ProviderUnavailableError);
      expect(failureFromNetworkError({ code, message: 'socket hang up' }, history)).toBeInstanceOf(ProviderUnavailableError);
    },
  );

  it('names a timeout as such', () => {
    expect(failureFromNetworkError({ code: 'ETIMEDOUT', message: 'timeout of 50ms exceeded' }, hold).message).toMatch(/timed out/);
    expect(failureFromNetworkError({ code: 'ECONNRESET', message: 'socket hang up' }, hold).message).toMatch(/connection lost/);
  });

  it('masks a card number in the network error text', () => {
    expect(failureFromNetworkError({ code: 'ECONNRESET', message: 'reset while sending 6006491234567890' }, hold).message).not.toContain('6006491234567890');
  });
});
