import { GIFT_CARD_PROVIDER, GiftCardProvider } from '@gcpa/gift-card-provider';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CardVault } from '../card-data/card-vault';
import { ScheduledRun } from '../common/scheduled-run';
import { CardLease } from '../provider-calls/card-lease';
import { endedHold } from '../provider-calls/hold-gone';
import { ProviderCall } from '../provider-calls/provider-call.entity';
import { ProviderCallsService } from '../provider-calls/provider-calls.service';
import { CardFindings, Difference, compareCard, whileUnresolved } from './reconciliation-rules';
import { CardToCheck, ReconciliationRepository, RunCounts } from './reconciliation.repository';
import { ReconciliationSettings } from './reconciliation.settings';

/** The window of a run: every card with a call of ours since the last run, and at least the last RECONCILIATION_WINDOW_HOURS. */
export function windowStartOf(now: Date, lastRunStart: Date | null, windowMs: number): Date {
  const byHours = new Date(now.getTime() - windowMs);
  return lastRunStart && lastRunStart < byHours ? lastRunStart : byHours;
}

interface CardRef {
  cardHash: string;
  cardLast4: string;
  currency: string;
}

/**
 * The reconciliation job: card by card over a window, what the provider shows (open holds, movements since
 * our first call on the card) against what the adapter recorded. A call that landed after it was concluded
 * NOT_APPLIED leaves an orphan hold (released here, recorded as a provider call of its own) or a second
 * movement (listed for operators). Each card is compared under its lease, so no call of ours is in flight on it.
 */
@Injectable()
export class ReconciliationService {
  private readonly logger = new Logger('Reconciliation');
  private readonly scheduled = new ScheduledRun('reconciliation', this.logger, () => this.run('schedule'));

  constructor(
    private readonly runs: ReconciliationRepository,
    private readonly calls: ProviderCallsService,
    private readonly cards: CardLease,
    private readonly vault: CardVault,
    private readonly settings: ReconciliationSettings,
    @Inject(GIFT_CARD_PROVIDER) private readonly provider: GiftCardProvider,
    @Inject('CARD_LEASE_WAIT_MS') private readonly cardWaitMs: number,
  ) {}

  tick(): Promise<void> {
    return this.scheduled.tick();
  }

  /** One run; answers its id once it is finished (COMPLETED, or FAILED with the reason). */
  async run(trigger: 'schedule' | 'request'): Promise<string> {
    const id = randomUUID();
    const now = new Date();
    const windowStart = windowStartOf(now, await this.runs.lastRunStart(), this.settings.windowMs);
    await this.runs.startRun(id, trigger, windowStart, now);
    const counts: RunCounts = { cardsChecked: 0, cardsSkipped: 0, holdsReleased: 0, differences: 0 };
    try {
      if (!this.provider.cardActivity) throw new Error(`provider ${this.provider.name} cannot show a card's activity`);
      for (const card of await this.runs.cardsWithCallsSince(windowStart)) await this.checkCard(id, card, windowStart, counts);
      await this.runs.finishRun(id, 'COMPLETED', counts, null);
    } catch (error) {
      await this.runs.finishRun(id, 'FAILED', counts, (error as Error).message);
      this.logger.error(`reconciliation run ${id} failed: ${(error as Error).message}`);
      return id;
    }
    const line = `reconciliation run ${id}: cardsChecked=${counts.cardsChecked} cardsSkipped=${counts.cardsSkipped} holdsReleased=${counts.holdsReleased} differences=${counts.differences}`;
    if (counts.differences > 0) this.logger.warn(line);
    else this.logger.log(line);
    return id;
  }

  /**
   * Takes back a movement that landed after its call was concluded NOT_APPLIED (and was done again): Clutch
   * `voidTransaction` of it, recorded as a VOID provider call of its own (intent, then outcome), under the
   * card's lease. A void that fails, or whose answer is lost, is listed VOID_FAILED: the next run tries again.
   */
  private async voidLateEntry(runId: string, ref: CardRef, card: CardToCheck, cardNumber: string, late: LateEntry, counts: RunCounts): Promise<void> {
    const result = await this.calls.run(
      {
        operation: 'VOID',
        orderId: late.orderId ?? undefined,
        ...onLeasedCard(card),
        amountMinor: late.amountMinor < 0n ? -late.amountMinor : late.amountMinor,
      },
      (requestId) => this.provider.void({ requestId, cardNumber, transactionId: late.providerReference }),
      (value) => ({ transactionId: value.transactionId }),
      // Committed with the void's outcome: a voided entry is explained from then on, and never voided twice.
      (manager, _value, call) => this.runs.addDifference(runId, ref, { ...late, note: `${late.note}; voided` }, 'VOIDED', call.id, manager),
    );
    if (result.ok) return;
    counts.differences++;
    const why = result.error.kind === 'OUTCOME_UNKNOWN' ? 'the answer of its void was lost' : `its void failed: ${result.error.message}`;
    await this.runs.addDifference(runId, ref, { ...late, note: `${late.note}; ${why}` }, 'VOID_FAILED', result.call.id);
  }

  private async checkCard(runId: string, card: CardToCheck, windowStart: Date, counts: RunCounts): Promise<void> {
    const cardNumber = this.vault.decrypt(card.cardEncrypted);
    const ref: CardRef = { cardHash: card.cardHash, cardLast4: cardNumber.slice(-4), currency: card.currency };
    const skip = async (why: string) => {
      counts.cardsSkipped++;
      await this.runs.addDifference(runId, ref, blank('NOT_CHECKED', why), 'SKIPPED');
    };
    // An earlier run's release whose answer was lost is looked up first (it takes the card's lease itself).
    for (const call of await this.runs.lostReleasesOn(card.cardHash)) await this.calls.resolve(call);
    const lease = await this.cards.acquire(card.cardHash, this.cardWaitMs);
    if (!lease) return skip('the card stayed busy with another call');
    const lostReleases: Array<{ difference: Difference; call: ProviderCall }> = [];
    try {
      const unresolved = await this.runs.unresolvedCallsOn(card.cardHash);
      const recorded = await this.runs.recordedOn(card.cardHash, windowStart);
      let findings: CardFindings;
      try {
        const activity = await this.provider.cardActivity!({ requestId: randomUUID(), cardNumber, currency: card.currency, since: card.firstCallAt });
        findings = compareCard(activity, recorded, {
          now: new Date(),
          graceMs: this.settings.graceMs,
          since: card.firstCallAt,
          clockSkewMs: this.settings.clockSkewMs,
          voidLateEntries: this.settings.voidLateEntries,
        });
      } catch (error) {
        return await skip(`the provider could not show the card: ${(error as Error).message}`);
      }
      if (unresolved.length > 0) {
        // The recovery sweep decides those calls first; only orphan holds none of them can own are released
        // now (a lost hold's look-up may be waiting on exactly such a hold).
        findings = whileUnresolved(findings, unresolved);
        await skip(
          `a call of ours on the card is still unresolved: the recovery sweep decides it first` +
            (findings.release.length > 0 ? `; ${findings.release.length} orphan hold(s) released meanwhile` : ''),
        );
      } else {
        counts.cardsChecked++;
      }
      for (const difference of findings.listed) {
        counts.differences++;
        await this.runs.addDifference(runId, ref, difference, 'LISTED');
      }
      for (const orphan of findings.release) {
        const result = await this.calls.run(
          {
            operation: 'RELEASE_HOLD',
            orderId: orphan.orderId ?? undefined,
            ...onLeasedCard(card),
            providerHoldId: orphan.providerReference,
            amountMinor: 0n,
          },
          (requestId) => this.provider.releaseHold({ requestId, cardNumber, holdId: orphan.providerReference, currency: card.currency }),
          (value) => ({ transactionId: value.transactionId }),
        );
        // Gone: released, or the provider says it was no longer there (the rule the chain repair and the sweep use).
        if (endedHold(result.call)) {
          counts.holdsReleased++;
          await this.runs.addDifference(runId, ref, orphan, 'RELEASED', result.call.id);
        } else if (!result.ok) {
          if (result.error.kind === 'OUTCOME_UNKNOWN') {
            lostReleases.push({ difference: orphan, call: result.call });
          } else {
            counts.differences++;
            await this.runs.addDifference(runId, ref, { ...orphan, note: `${orphan.note}; its release failed: ${result.error.message}` }, 'RELEASE_FAILED', result.call.id);
          }
        }
      }
      for (const late of findings.void) await this.voidLateEntry(runId, ref, card, cardNumber, late, counts);
      if (unresolved.length > 0 && findings.release.length > 0) await this.runs.checkUnresolvedNow(card.cardHash);
    } finally {
      await lease.release();
    }
    // A lost answer of a release is looked up like any other, once the card's lease is free again.
    for (const { difference, call } of lostReleases) {
      await this.calls.resolve(call); // records what it learned on the call (APPLIED: the release happened)
      if (endedHold(call)) {
        counts.holdsReleased++;
        await this.runs.addDifference(runId, ref, difference, 'RELEASED', call.id);
      } else {
        counts.differences++;
        await this.runs.addDifference(runId, ref, { ...difference, note: `${difference.note}; its release's answer was lost and the hold is not known to be gone` }, 'RELEASE_FAILED', call.id);
      }
    }
  }
}

/** What a run did with one late-landing movement it voids. */
type LateEntry = CardFindings['void'][number];

function blank(kind: Difference['kind'], note: string): Difference {
  return { kind, amountMinor: 0n, providerReference: null, providerAt: null, providerCallId: null, authorizationId: null, refundId: null, orderId: null, note };
}

/** A call of this job on a card it checks: the card's lease is already the job's (taken once for the whole check). */
function onLeasedCard(card: CardToCheck) {
  return { cardHash: card.cardHash, cardEncrypted: card.cardEncrypted, currency: card.currency, cardLeaseHeld: true };
}
