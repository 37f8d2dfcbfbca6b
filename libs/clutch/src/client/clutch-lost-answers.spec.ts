import { LostCallFinding, LostCallInput, LostCallOperation } from '@gcpa/gift-card-provider';
import { Money } from '@gcpa/money';
import { CardHistoryEntry, ClutchBalance, ClutchCard } from '../protocol';
import {
  holdEntries,
  resolveLostActivation,
  resolveLostHold,
  resolveLostHoldUse,
  resolveLostMovement,
  unexplainedEntries,
} from './clutch-lost-answers';

const CARD = '6006491234567890';
const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);
const usd = (minor: bigint | number): Money => ({ minor: BigInt(minor), currency: 'USD' });

/**
 * Money carries a bigint, which Jest's worker cannot serialise when an assertion fails (the suite then dies
 * with "Do not know how to serialize a BigInt" instead of showing the diff): compare plain copies.
 */
const plain = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? 'null');

const lost = (operation: LostCallOperation, fields: Partial<LostCallInput> = {}): LostCallInput => ({
  requestId: 'look-up-1',
  operation,
  reference: 'call-1',
  cardNumber: CARD,
  amount: usd(2500),
  startedAt: new Date(T0),
  graceElapsed: false,
  known: { holdIds: new Set(), transactionIds: new Set() },
  ...fields,
});
const known = (holdIds: string[], transactionIds: string[] = []) => ({ holdIds: new Set(holdIds), transactionIds: new Set(transactionIds) });

const value = (amount: number, balanceCode = 'USD'): ClutchBalance => ({ balanceType: 'Currency', balanceCode, amount, scale: 2, isHold: false });
const holdOf = (holdingTransactionId: string, amount: number, balanceCode = 'USD'): ClutchBalance => ({
  balanceType: 'Currency',
  balanceCode,
  amount,
  scale: 2,
  isHold: true,
  holdingTransactionId,
});
const card = (balances: ClutchBalance[], activationDate?: string): ClutchCard => ({
  cardNumber: CARD,
  cardSetId: 'set-1',
  ...(activationDate === undefined ? {} : { activationDate }),
  balances,
});
const entry = (transactionId: string, amount: number, at = T0 + 1000, balanceCode = 'USD'): CardHistoryEntry => ({
  transactionId,
  isLegacy: false,
  transactionTime: at,
  callType: 'UPDATE_BALANCE',
  balanceUpdates: [{ balanceType: 'Currency', balanceCode, amount }],
  requestRef: `ref-${transactionId}`,
});

/** The finding as plain JSON (Money's bigint as "2500n"), so a failed comparison can be reported. */
type Shown = LostCallFinding & Record<string, unknown>;
const shownUsd = (minor: number) => plain(usd(minor));
const lostHold = (...args: Parameters<typeof resolveLostHold>) => plain(resolveLostHold(...args)) as Shown;
const lostHoldUse = (...args: Parameters<typeof resolveLostHoldUse>) => plain(resolveLostHoldUse(...args)) as Shown;
const lostMovement = (...args: Parameters<typeof resolveLostMovement>) => plain(resolveLostMovement(...args)) as Shown;
const lostActivation = (...args: Parameters<typeof resolveLostActivation>) => plain(resolveLostActivation(...args)) as Shown;
const outcome = (finding: Shown) => finding.outcome;

describe('holdEntries', () => {
  it('lists the open holds of the currency with their amounts, and nothing of a card Clutch does not know', () => {
    const entries = holdEntries(
      card([value(10), holdOf('h1', 25), holdOf('h2', 0.01), holdOf('h-eur', 5, 'EUR'), { balanceType: 'Points', balanceCode: 'USD', amount: 7, isHold: true, holdingTransactionId: 'p' }]).balances,
      'USD',
    );
    expect(plain(entries)).toEqual(plain([{ holdId: 'h1', amount: usd(2500) }, { holdId: 'h2', amount: usd(1) }]));
    expect(holdEntries(undefined, 'USD')).toEqual([]);
  });
});

describe('unexplainedEntries', () => {
  it('keeps the entries of exactly the signed amount in the currency that our records do not explain', () => {
    const history = [entry('a', -25), entry('b', 25), entry('c', -25, T0, 'EUR'), entry('d', -25.01), entry('e', -25), entry('f', -25)];
    const input = lost('REDEEM', { known: known(['f'], ['e']) });
    expect(unexplainedEntries(history, -2500n, input).map((e) => e.transactionId)).toEqual(['a']);
    expect(unexplainedEntries(history, 2500n, input).map((e) => e.transactionId)).toEqual(['b']);
  });
});

describe('resolveLostHold', () => {
  const hold = (fields: Partial<LostCallInput> = {}) => lost('HOLD', fields);

  it('exactly one unknown hold of the amount asked is ours: APPLIED with its id and amount', () => {
    const finding = lostHold(card([value(75), holdOf('h-ours', 25)]), hold());
    expect(finding).toEqual({ outcome: 'APPLIED', transactionId: 'h-ours', amount: shownUsd(2500), note: expect.any(String) });
  });

  it('the same once the grace period has passed', () => {
    expect(lostHold(card([holdOf('h-ours', 25)]), hold({ graceElapsed: true }))).toMatchObject({ outcome: 'APPLIED', transactionId: 'h-ours' });
  });

  it('two unknown holds of the amount: UNDECIDED with both as candidates', () => {
    const finding = lostHold(card([value(50), holdOf('h1', 25), holdOf('h2', 25)]), hold({ graceElapsed: true }));
    expect(finding.outcome).toBe('UNDECIDED');
    expect(finding).toMatchObject({
      candidates: [
        { transactionId: 'h1', amount: '25.00' },
        { transactionId: 'h2', amount: '25.00' },
      ],
    });
  });

  it('no unknown hold within the grace period: UNDECIDED (the call may still land), without candidates', () => {
    expect(lostHold(card([value(100)]), hold())).toEqual({ outcome: 'UNDECIDED', note: expect.any(String), candidates: [] });
  });

  it('no unknown hold after the grace period: NOT_APPLIED', () => {
    expect(lostHold(card([value(100)]), hold({ graceElapsed: true }))).toEqual({ outcome: 'NOT_APPLIED', note: expect.any(String) });
  });

  it('a card Clutch does not show: UNDECIDED within the grace period, NOT_APPLIED after', () => {
    expect(outcome(lostHold(null, hold()))).toBe('UNDECIDED');
    expect(outcome(lostHold(null, hold({ graceElapsed: true })))).toBe('NOT_APPLIED');
  });

  it('holds we know are never ours: a known hold of the amount is excluded', () => {
    const onCard = card([holdOf('h-known', 25)]);
    expect(outcome(lostHold(onCard, hold({ graceElapsed: true, known: known(['h-known']) })))).toBe('NOT_APPLIED');
    expect(outcome(lostHold(onCard, hold({ graceElapsed: true })))).toBe('APPLIED');
  });

  it('a known hold beside an unknown one of the same amount: the unknown one is ours', () => {
    const finding = lostHold(card([holdOf('h-known', 25), holdOf('h-new', 25)]), hold({ known: known(['h-known']) }));
    expect(finding).toMatchObject({ outcome: 'APPLIED', transactionId: 'h-new' });
  });

  it('an unknown hold shorter than asked could be a short hold of ours: UNDECIDED, even after the grace period', () => {
    const finding = lostHold(card([holdOf('h-short', 10)]), hold({ graceElapsed: true }));
    expect(finding).toEqual({ outcome: 'UNDECIDED', note: expect.any(String), candidates: [{ transactionId: 'h-short', amount: '10.00' }] });
  });

  it('an unknown hold of more than asked is not ours: NOT_APPLIED after the grace period', () => {
    expect(outcome(lostHold(card([holdOf('h-big', 30)]), hold({ graceElapsed: true })))).toBe('NOT_APPLIED');
  });

  it('a hold of the amount in another currency is not ours', () => {
    expect(outcome(lostHold(card([holdOf('h-eur', 25, 'EUR')]), hold({ graceElapsed: true })))).toBe('NOT_APPLIED');
  });
});

describe('resolveLostHoldUse (a redeem from a hold, or a release)', () => {
  const redeem = (fields: Partial<LostCallInput> = {}) => lost('REDEEM_FROM_HOLD', { holdId: 'h1', amount: usd(2000), ...fields });
  const release = (fields: Partial<LostCallInput> = {}) => lost('RELEASE_HOLD', { holdId: 'h1', amount: usd(0), ...fields });
  const withHold = card([value(5), holdOf('h1', 25)]);
  const withoutHold = card([value(10)]);

  it('a release whose hold is still there did not apply, within the grace period too (sending it again is harmless)', () => {
    expect(lostHoldUse(withHold, [], release())).toEqual({ outcome: 'NOT_APPLIED', note: expect.any(String) });
    expect(outcome(lostHoldUse(withHold, [], release({ graceElapsed: true })))).toBe('NOT_APPLIED');
  });

  it('a redeem whose hold is still there: UNDECIDED within the grace period, NOT_APPLIED after', () => {
    expect(lostHoldUse(withHold, [], redeem())).toEqual({ outcome: 'UNDECIDED', note: expect.any(String), candidates: [] });
    expect(outcome(lostHoldUse(withHold, [], redeem({ graceElapsed: true })))).toBe('NOT_APPLIED');
  });

  it('another hold still there does not count as ours', () => {
    const other = card([holdOf('h2', 25)]);
    expect(outcome(lostHoldUse(other, [], release()))).toBe('APPLIED');
    expect(outcome(lostHoldUse(other, [], redeem({ graceElapsed: true })))).toBe('NOT_APPLIED');
  });

  it('the hold gone and one entry of -amount: APPLIED with that entry as the transaction', () => {
    const history = [entry('t-other', -5), entry('t-issue', 20), entry('t-redeem', -20), entry('t-hold', 0)];
    const finding = lostHoldUse(withoutHold, history, redeem());
    expect(finding).toEqual({ outcome: 'APPLIED', transactionId: 't-redeem', amount: shownUsd(2000), note: expect.any(String) });
  });

  it('the hold gone and no redeem of the amount: NOT_APPLIED (it expired or was released)', () => {
    expect(lostHoldUse(withoutHold, [entry('t-other', -5)], redeem())).toEqual({ outcome: 'NOT_APPLIED', note: expect.any(String) });
    expect(outcome(lostHoldUse(null, [], redeem()))).toBe('NOT_APPLIED');
  });

  it('the hold gone and two redeems of the amount: UNDECIDED with both candidates and their times', () => {
    const finding = lostHoldUse(withoutHold, [entry('t2', -20, T0 + 2000), entry('t1', -20, T0 + 1000)], redeem({ graceElapsed: true }));
    expect(finding).toEqual({
      outcome: 'UNDECIDED',
      note: expect.any(String),
      candidates: [
        { transactionId: 't2', amount: '20.00', at: new Date(T0 + 2000).toISOString() },
        { transactionId: 't1', amount: '20.00', at: new Date(T0 + 1000).toISOString() },
      ],
    });
  });

  it('a redeem we recorded is not a candidate', () => {
    const history = [entry('t-ours-before', -20), entry('t-new', -20)];
    expect(lostHoldUse(withoutHold, history, redeem({ known: known([], ['t-ours-before']) }))).toMatchObject({ outcome: 'APPLIED', transactionId: 't-new' });
  });

  it('a release whose hold is gone applied: nothing is held any more', () => {
    const finding = lostHoldUse(withoutHold, [], release());
    expect(finding).toEqual({ outcome: 'APPLIED', transactionId: null, amount: shownUsd(0), note: expect.any(String) });
  });
});

describe('resolveLostMovement (an issue or a plain redeem)', () => {
  const issue = (fields: Partial<LostCallInput> = {}) => lost('ISSUE', { amount: usd(1500), ...fields });
  const redeem = (fields: Partial<LostCallInput> = {}) => lost('REDEEM', { amount: usd(1500), ...fields });

  it('an issue: the one +amount entry is it', () => {
    const history = [entry('t-redeem', -15), entry('t-issue', 15), entry('t-small', 1.5)];
    const finding = lostMovement(history, 1500n, issue());
    expect(finding).toEqual({ outcome: 'APPLIED', transactionId: 't-issue', amount: shownUsd(1500), note: expect.any(String) });
  });

  it('a plain redeem: the one -amount entry is it', () => {
    const history = [entry('t-redeem', -15), entry('t-issue', 15)];
    expect(lostMovement(history, -1500n, redeem())).toMatchObject({ outcome: 'APPLIED', transactionId: 't-redeem' });
  });

  it('two entries of the amount: UNDECIDED with both candidates', () => {
    const finding = lostMovement([entry('t2', 15, T0 + 2), entry('t1', 15, T0 + 1)], 1500n, issue({ graceElapsed: true }));
    expect(finding).toEqual({
      outcome: 'UNDECIDED',
      note: expect.any(String),
      candidates: [
        { transactionId: 't2', amount: '15.00', at: new Date(T0 + 2).toISOString() },
        { transactionId: 't1', amount: '15.00', at: new Date(T0 + 1).toISOString() },
      ],
    });
  });

  it('entries we recorded (transactions or holds) are excluded', () => {
    const history = [entry('t-known', 15), entry('h-known', 15), entry('t-new', 15)];
    const input = issue({ known: known(['h-known'], ['t-known']) });
    expect(lostMovement(history, 1500n, input)).toMatchObject({ outcome: 'APPLIED', transactionId: 't-new' });
    expect(outcome(lostMovement(history.slice(0, 2), 1500n, { ...input, graceElapsed: true }))).toBe('NOT_APPLIED');
  });

  it('an entry older than one of ours answered before the call is not it, whatever the clock skew allows', () => {
    // Newest first: the card's load of 15.00, then our redeem (answered before the lost issue began); read from
    // the call's start less the skew, both are in the history the look-up reads.
    const history = [entry('t-redeem', -15, T0 - 2000), entry('t-load', 15, T0 - 4000)];
    const answered = { ...known([], ['t-redeem']), answeredBefore: new Set(['t-redeem']) };
    expect(outcome(lostMovement(history, 1500n, issue({ graceElapsed: true, known: answered })))).toBe('NOT_APPLIED');
    // Without the bound (an earlier answer unknown) the load passes for the issue: what the bound is for.
    expect(lostMovement(history, 1500n, issue({ graceElapsed: true, known: known([], ['t-redeem']) }))).toMatchObject({ outcome: 'APPLIED', transactionId: 't-load' });
    // An entry as old as that answer (the same millisecond) may still be the call's: kept, as are newer ones.
    const sameTime = [entry('t-issue', 15, T0 - 2000), ...history];
    expect(lostMovement(sameTime, 1500n, issue({ known: answered }))).toMatchObject({ outcome: 'APPLIED', transactionId: 't-issue' });
    // A hold of ours answered before bounds it as well (its entry moves nothing).
    const afterHold = [entry('h-ours', 0, T0 - 1000), entry('t-load', 15, T0 - 3000)];
    const hold = { ...known(['h-ours']), answeredBefore: new Set(['h-ours']) };
    expect(outcome(lostMovement(afterHold, 1500n, issue({ graceElapsed: true, known: hold })))).toBe('NOT_APPLIED');
  });

  it('nothing of the amount: UNDECIDED within the grace period, NOT_APPLIED after', () => {
    const history = [entry('t-other', 14.99), entry('t-sign', -15), entry('t-eur', 15, T0, 'EUR')];
    expect(lostMovement(history, 1500n, issue())).toEqual({ outcome: 'UNDECIDED', note: expect.any(String), candidates: [] });
    expect(lostMovement(history, 1500n, issue({ graceElapsed: true }))).toEqual({ outcome: 'NOT_APPLIED', note: expect.any(String) });
    expect(outcome(lostMovement([entry('t-issue', 15)], -1500n, redeem({ graceElapsed: true })))).toBe('NOT_APPLIED');
  });
});

describe('resolveLostActivation', () => {
  const activate = (fields: Partial<LostCallInput> = {}) => lost('ACTIVATE', { amount: usd(0), ...fields });

  it('a card that shows an activation date was activated', () => {
    const finding = lostActivation(card([], '2026-12-01 12:00:01'), activate());
    expect(finding).toEqual({ outcome: 'APPLIED', transactionId: null, amount: shownUsd(0), note: expect.any(String) });
  });

  it('no activation date: UNDECIDED within the grace period, NOT_APPLIED after', () => {
    expect(lostActivation(card([]), activate())).toEqual({ outcome: 'UNDECIDED', note: expect.any(String), candidates: [] });
    expect(lostActivation(card([]), activate({ graceElapsed: true }))).toEqual({ outcome: 'NOT_APPLIED', note: expect.any(String) });
    expect(outcome(lostActivation(card([], ''), activate({ graceElapsed: true })))).toBe('NOT_APPLIED');
    expect(outcome(lostActivation(null, activate({ graceElapsed: true })))).toBe('NOT_APPLIED');
  });
});
