import { CardActivity, CardActivityHold } from '@gcpa/gift-card-provider';

/**
 * The comparison of one card: what the provider shows (its open holds, its movements since our first call
 * on the card in the window) against what the adapter recorded. Pure: no database, no provider, no clock.
 */

/** A call of ours on the card that was concluded NOT_APPLIED: the one kind of call that can still land late. */
export interface NotAppliedCall {
  callId: string;
  operation: string;
  /** What it asked to move, positive. */
  amountMinor: bigint;
  startedAt: Date;
  orderId: string | null;
  authorizationId: string | null;
  refundId: string | null;
  /**
   * The provider references of our calls on the card answered before it began: the provider did those first,
   * so an entry it shows as older than one of them is not this call's, whatever the clock skew allows.
   */
  answeredBefore?: readonly string[];
}

/** An authorization of the card that names a provider hold. */
export interface RecordedHold {
  authorizationId: string;
  orderId: string;
  holdId: string;
  heldMinor: bigint;
  open: boolean;
}

export interface RecordedOnCard {
  /** Provider hold ids our records explain (provider calls, authorizations). */
  knownHoldIds: ReadonlySet<string>;
  /** Provider transaction ids our records explain. */
  knownTransactionIds: ReadonlySet<string>;
  notApplied: NotAppliedCall[];
  holds: RecordedHold[];
}

export interface CompareOptions {
  now: Date;
  /** A hold younger than this may still be an answer on its way: left for the next run. */
  graceMs: number;
  /** Our first call on the card in the window: movements before it are not ours, unless a late call explains them. */
  since: Date;
  /** How much older than a call a provider entry may be and still be taken for it. */
  clockSkewMs: number;
  /** Take back (void) a movement a call of ours concluded NOT_APPLIED explains, instead of only listing it. */
  voidLateEntries?: boolean;
}

export type DifferenceKind =
  /** A hold nobody owns, placed by one of our calls concluded NOT_APPLIED: released. */
  | 'ORPHAN_HOLD'
  /** A hold nobody owns and no call of ours explains (another channel's?): listed, not released. */
  | 'UNEXPLAINED_HOLD'
  /** A movement (issue, redeem) that one of our NOT_APPLIED calls explains: it landed after all. */
  | 'LATE_ENTRY'
  /** A movement no record of ours explains. */
  | 'UNEXPLAINED_ENTRY'
  /** An OPEN authorization whose hold the provider no longer shows. */
  | 'MISSING_HOLD'
  /** A hold the provider still shows for an authorization that is closed. */
  | 'HELD_FOR_CLOSED_AUTHORIZATION'
  /** The card could not be compared in this run (busy, a call of ours still unresolved, the provider unreachable). */
  | 'NOT_CHECKED';

export interface Difference {
  kind: DifferenceKind;
  /** Signed for movements (issue +, redeem −); a hold's amount is positive. */
  amountMinor: bigint;
  providerReference: string | null;
  providerAt: Date | null;
  providerCallId: string | null;
  authorizationId: string | null;
  refundId: string | null;
  orderId: string | null;
  note: string;
}

export interface CardFindings {
  /** ORPHAN_HOLD differences: the holds to release. */
  release: Array<Difference & { kind: 'ORPHAN_HOLD'; providerReference: string }>;
  /** LATE_ENTRY differences to void (with `voidLateEntries`): value that moved twice, taken back. */
  void: Array<Difference & { kind: 'LATE_ENTRY'; providerReference: string }>;
  /** Everything else, for operators. */
  listed: Difference[];
}

const SIGN_OF: Record<string, 1n | -1n> = { ISSUE: 1n, REDEEM: -1n, REDEEM_FROM_HOLD: -1n };

export function compareCard(activity: CardActivity, recorded: RecordedOnCard, options: CompareOptions): CardFindings {
  const findings: CardFindings = { release: [], listed: [], void: [] };
  const unmatched = [...recorded.notApplied].sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
  const take = (fits: (call: NotAppliedCall) => boolean): NotAppliedCall | undefined => {
    const index = unmatched.findIndex(fits);
    return index < 0 ? undefined : unmatched.splice(index, 1)[0];
  };
  const fromCall = (call: NotAppliedCall | undefined) => ({
    providerCallId: call?.callId ?? null,
    authorizationId: call?.authorizationId ?? null,
    refundId: call?.refundId ?? null,
    orderId: call?.orderId ?? null,
  });
  const shownAt = new Map<string, number>();
  for (const entry of activity.entries) shownAt.set(entry.transactionId, entry.at.getTime());
  for (const hold of activity.holds) if (hold.placedAt) shownAt.set(hold.holdId, hold.placedAt.getTime());
  const notBefore = (call: NotAppliedCall, at: Date | undefined) => {
    if (at === undefined) return true;
    const after = Math.max(call.startedAt.getTime() - options.clockSkewMs, ...(call.answeredBefore ?? []).map((ref) => shownAt.get(ref) ?? -Infinity));
    return at.getTime() >= after;
  };

  const shown = new Set(activity.holds.map((h) => h.holdId));
  for (const hold of activity.holds) {
    if (recorded.knownHoldIds.has(hold.holdId)) continue;
    if (!olderThanGrace(hold, options)) continue;
    const call = take((c) => c.operation === 'HOLD' && c.amountMinor === hold.amount.minor && notBefore(c, hold.placedAt));
    const base = { amountMinor: hold.amount.minor, providerReference: hold.holdId, providerAt: hold.placedAt ?? null, ...fromCall(call) };
    if (call) {
      findings.release.push({ ...base, kind: 'ORPHAN_HOLD', note: `hold of call ${call.callId}, concluded not applied, landed late; nobody owns it` });
    } else {
      findings.listed.push({ ...base, kind: 'UNEXPLAINED_HOLD', note: 'a hold no record of ours explains (another channel?); not released' });
    }
  }

  for (const entry of activity.entries) {
    if (recorded.knownTransactionIds.has(entry.transactionId)) continue;
    const call = take((c) => SIGN_OF[c.operation] !== undefined && SIGN_OF[c.operation] * c.amountMinor === entry.amount.minor && notBefore(c, entry.at));
    // Before our first call on the card, and explained by no late call of ours: not ours to compare.
    if (!call && entry.at.getTime() < options.since.getTime()) continue;
    const base = { amountMinor: entry.amount.minor, providerReference: entry.transactionId, providerAt: entry.at, ...fromCall(call) };
    if (!call) {
      findings.listed.push({ ...base, kind: 'UNEXPLAINED_ENTRY', note: 'a movement no record of ours explains' });
      continue;
    }
    const late = { ...base, kind: 'LATE_ENTRY' as const, note: `${call.operation} of call ${call.callId}, concluded not applied, landed late: it happened as well as its retry` };
    // Our records already hold what the retry did; the late movement is the one nobody was told of.
    if (options.voidLateEntries) findings.void.push(late);
    else findings.listed.push(late);
  }

  for (const hold of recorded.holds) {
    const base = { amountMinor: hold.heldMinor, providerReference: hold.holdId, providerAt: null, providerCallId: null, authorizationId: hold.authorizationId, refundId: null, orderId: hold.orderId };
    if (hold.open && !shown.has(hold.holdId)) {
      findings.listed.push({ ...base, kind: 'MISSING_HOLD', note: 'the authorization is OPEN but the provider no longer shows its hold (expired, or released elsewhere)' });
    } else if (!hold.open && shown.has(hold.holdId)) {
      const amount = activity.holds.find((h) => h.holdId === hold.holdId)!.amount.minor;
      findings.listed.push({ ...base, amountMinor: amount, kind: 'HELD_FOR_CLOSED_AUTHORIZATION', note: 'the authorization is closed but the provider still holds its hold' });
    }
  }
  return findings;
}

/** A call of ours on the card whose outcome is still PENDING or UNKNOWN. */
export interface UnresolvedCall {
  operation: string;
  amountMinor: bigint;
}

/**
 * What may be done on a card while calls of ours on it are unresolved: only the release of orphan holds, and of
 * an amount only as many as the card shows unknown holds of it beyond the unresolved HOLD calls of that amount.
 * Each call places at most one hold, so what is left still gives every such call one hold to find; holds of one
 * amount on one card are interchangeable, so it does not matter which one was whose. A lost hold's look-up
 * cannot decide while an unknown shorter hold (a short hold of it?), or a second unknown hold of its amount, is
 * on the card, so waiting for the sweep to decide first would wait for ever (the soak's seed 3598329219: a late
 * hold beside its retry's lost one); releasing a hold nobody was told of moves no one's money. Voids and
 * listings wait: an unresolved call may explain the movement itself.
 */
export function whileUnresolved(findings: CardFindings, unresolved: readonly UnresolvedCall[]): CardFindings {
  const spare = new Map<bigint, number>();
  for (const hold of [...findings.release, ...findings.listed.filter((d) => d.kind === 'UNEXPLAINED_HOLD')]) {
    spare.set(hold.amountMinor, (spare.get(hold.amountMinor) ?? 0) + 1);
  }
  for (const call of unresolved.filter((c) => c.operation === 'HOLD')) {
    spare.set(call.amountMinor, (spare.get(call.amountMinor) ?? 0) - 1);
  }
  const release = findings.release.filter((orphan) => {
    const left = spare.get(orphan.amountMinor) ?? 0;
    spare.set(orphan.amountMinor, left - 1);
    return left > 0;
  });
  return { release, listed: [], void: [] };
}

/** A hold placed before `since` (no placement shown) is older than any window start, so older than the grace. */
function olderThanGrace(hold: CardActivityHold, options: CompareOptions): boolean {
  const placed = hold.placedAt ?? options.since;
  return options.now.getTime() - placed.getTime() >= options.graceMs;
}
