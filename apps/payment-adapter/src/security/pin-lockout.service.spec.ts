import { DomainError } from '../common/domain-errors';
import { FAKE_TX } from '../testing/doubles';
import { InMemoryPinAttemptsRepository } from './pin-attempts.repository.fake';
import { PinLockoutService } from './pin-lockout.service';

const CARD = 'hash-of-card-1';
const POLICY = { maxFailures: 3, windowSeconds: 900, lockoutSeconds: 600 };

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

describe('PinLockoutService', () => {
  let attempts: InMemoryPinAttemptsRepository;
  let pins: PinLockoutService;

  const wrongPin = async () => {
    await pins.beginAttempt(CARD, true);
    await pins.finishAttempt(CARD, true, 'WRONG_PIN');
  };

  beforeEach(() => {
    attempts = new InMemoryPinAttemptsRepository();
    pins = new PinLockoutService(attempts, POLICY);
  });

  it('locks the card at the limit of wrong PINs, and refuses the next attempt with the time left', async () => {
    await wrongPin();
    await wrongPin();
    expect(attempts.cards.get(CARD)).toMatchObject({ failures: 2, lockedUntil: null });

    await wrongPin();
    attempts.now += 100_500;
    const error = await refusal(pins.beginAttempt(CARD, true));

    expect(attempts.cards.get(CARD)).toMatchObject({ failures: 0, lockedUntil: attempts.now - 100_500 + 600_000 });
    expect([error.status, error.code, error.details]).toEqual([429, 'CARD_LOCKED', { retryAfterSeconds: 500 }]);
  });

  it('refuses an attempt beyond the limit while the others are still in flight, until the window ends', async () => {
    await pins.beginAttempt(CARD, true);
    await pins.beginAttempt(CARD, true);
    await pins.beginAttempt(CARD, true);
    attempts.now += 300_000;

    const error = await refusal(pins.beginAttempt(CARD, true));

    expect(error.details).toEqual({ retryAfterSeconds: 600 });
    expect(attempts.cards.get(CARD)).toMatchObject({ failures: 3, lockedUntil: null });
  });

  it('starts a new window once the last one is over', async () => {
    await wrongPin();
    await wrongPin();
    attempts.now += 901_000;

    await wrongPin();

    expect(attempts.cards.get(CARD)).toMatchObject({ failures: 1, windowStart: attempts.now, lockedUntil: null });
  });

  it('gives an attempt back when the answer said nothing about the PIN', async () => {
    await wrongPin();
    await pins.beginAttempt(CARD, true);
    await pins.finishAttempt(CARD, true, 'NO_VERDICT');

    expect(attempts.cards.get(CARD)!.failures).toBe(1);
  });

  it('clears the count when the provider accepted the PIN, in the transaction of the approval when given one', async () => {
    await wrongPin();
    await pins.beginAttempt(CARD, true);
    await pins.recordSuccess(CARD, FAKE_TX);

    expect(attempts.cards.has(CARD)).toBe(false);
    expect(attempts.clearedIn).toEqual([FAKE_TX]);

    await pins.beginAttempt(CARD, true);
    await pins.finishAttempt(CARD, true, 'PIN_ACCEPTED');
    expect(attempts.cards.has(CARD)).toBe(false);
    expect(attempts.clearedIn).toEqual([FAKE_TX, undefined]);
  });

  it('keeps the lock of a locked card when a PIN is accepted', async () => {
    await wrongPin();
    await wrongPin();
    await wrongPin();

    await pins.recordSuccess(CARD);

    expect(attempts.cards.get(CARD)!.lockedUntil).toBe(attempts.now + 600_000);
  });

  it('counts nothing without a PIN, but still refuses a locked card', async () => {
    await pins.beginAttempt(CARD, false);
    await pins.finishAttempt(CARD, false, 'WRONG_PIN');
    expect(attempts.cards.size).toBe(0);

    await wrongPin();
    await wrongPin();
    await wrongPin();
    const error = await refusal(pins.beginAttempt(CARD, false));

    expect(error.details).toEqual({ retryAfterSeconds: 600 });
    attempts.now += 600_000;
    await expect(pins.beginAttempt(CARD, false)).resolves.toBeUndefined();
  });
});
