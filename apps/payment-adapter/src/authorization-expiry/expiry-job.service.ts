import { GIFT_CARD_PROVIDER, GiftCardProvider, ProviderError } from '@gcpa/gift-card-provider';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Authorization } from '../authorizations/authorization.entity';
import { ChainLock } from '../authorizations/chain-lock';
import { HoldsService } from '../authorizations/holds.service';
import { nextLinkOf } from '../authorizations/new-authorization';
import { CardVault } from '../card-data/card-vault';
import { ChainRepair } from '../chain-repair/chain-repair.service';
import { DomainError } from '../common/domain-errors';
import { ScheduledRun } from '../common/scheduled-run';
import { Metrics } from '../observability/metrics';
import { nextExpiryStep, reauthorizationOrder } from './expiry-rules';
import { ExpiryRepository } from './expiry.repository';
import { ExpirySettings } from './expiry.settings';

export const EXPIRY_JOB_ACTOR = 'expiry-job';

/** What one run of the expiry job did; also the answer of POST /v1/expiry-runs. */
export interface ExpiryRunReport {
  /** Authorization chains claimed. */
  claimed: number;
  /** Held again in full (the old link closed REAUTHORIZED). */
  reauthorized: number;
  /** Held again in part: the OMS was told the shortfall (AUTHORIZATION_EXPIRING). */
  short: number;
  /** The re-hold was declined: the OMS was told; the old link keeps its hold until it expires. */
  declined: number;
  /** Released and closed EXPIRED. */
  expired: number;
  /** Left for the next run: the chain was busy, an earlier call on it is unresolved, or the provider was unavailable. */
  retried: number;
  durationMs: number;
}

type ChainResult = 'reauthorized' | 'short' | 'declined' | 'expired' | 'retried' | 'none';

/**
 * Hold expiry and re-authorization (issue 17). Each claimed chain is worked on under its ChainLock, so it never
 * races a settlement or a reversal, and starts with the chain's resolution (ChainRepair.resolveChain), which
 * completes whatever a crashed run left: a lost re-hold is adopted (closing the old link) or released, the hold of a
 * link closed before its release is released. Then one step of the pure rules (expiry-rules.ts):
 * - REAUTHORIZE: a new link for what the open one holds, placed first and the old hold released after; or, when
 *   the card cannot carry both holds, the old one released first (see reauthorizationOrder). The old link closes
 *   REAUTHORIZED in the commit that records the new hold (HoldsService.approve); a short or declined re-hold is
 *   told to the OMS there too (AUTHORIZATION_EXPIRING with the shortfall).
 * - EXPIRE: closed EXPIRED, then its hold released (if that fails now, the recovery sweep releases it).
 * - PLACE_SUCCESSOR: the new link of an earlier run that was not placed is placed now.
 * Every provider call goes through ProviderCallsService.run (intent before, outcome after).
 */
@Injectable()
export class ExpiryJob {
  private readonly logger = new Logger('ExpiryJob');
  private readonly scheduled = new ScheduledRun('expiry run', this.logger, () => this.run());

  constructor(
    private readonly lock: ChainLock,
    private readonly repair: ChainRepair,
    private readonly holds: HoldsService,
    private readonly repository: ExpiryRepository,
    private readonly vault: CardVault,
    private readonly settings: ExpirySettings,
    private readonly metrics: Metrics,
    @Inject(GIFT_CARD_PROVIDER) private readonly provider: GiftCardProvider,
  ) {}

  tick(): Promise<void> {
    return this.scheduled.tick();
  }

  /** One run: claims batch after batch until nothing is due; each chain at most once per run. */
  async run(): Promise<ExpiryRunReport> {
    const started = Date.now();
    const report: ExpiryRunReport = { claimed: 0, reauthorized: 0, short: 0, declined: 0, expired: 0, retried: 0, durationMs: 0 };
    const seen = new Set<string>();
    for (;;) {
      const roots = await this.repository.claim(this.settings.batchSize, this.settings.reauthorizeBeforeMs, this.settings.claimSeconds, [...seen]);
      if (roots.length === 0) break;
      for (const rootId of roots) {
        seen.add(rootId);
        report.claimed += 1;
        const result = await this.onChain(rootId);
        if (result !== 'none') report[result] += 1;
        await this.repository.unclaim(rootId);
      }
    }
    report.durationMs = Date.now() - started;
    const idle = report.claimed === 0;
    this.logger[idle ? 'debug' : 'log'](
      `expiry run: claimed=${report.claimed} reauthorized=${report.reauthorized} short=${report.short} declined=${report.declined} expired=${report.expired} retried=${report.retried} durationMs=${report.durationMs}`,
    );
    return report;
  }

  private async onChain(rootId: string): Promise<ChainResult> {
    try {
      return await this.lock.run(rootId, () => this.step(rootId));
    } catch (error) {
      if (!(error instanceof DomainError && error.code === 'AUTHORIZATION_BUSY')) {
        this.logger.warn(`authorization chain ${rootId}: expiry step failed: ${(error as Error).message}`);
      }
      return 'retried';
    }
  }

  private async step(rootId: string): Promise<ChainResult> {
    if (!(await this.repair.resolveChain(rootId, EXPIRY_JOB_ACTOR))) return 'retried';
    const links = await this.repository.linksOf(rootId);
    const step = nextExpiryStep(links, new Date(), this.settings.reauthorizeBeforeMs);
    if (step.kind === 'NONE') return 'none';
    const link = links.find((l) => l.id === step.linkId)!;
    if (step.kind === 'EXPIRE') return this.expire(link);
    if (step.kind === 'REAUTHORIZE') return this.reauthorize(link);
    return this.placeSuccessor(link, links.find((l) => l.id === link.previousId)!);
  }

  private async expire(link: Authorization): Promise<ChainResult> {
    // Closed first: from now on nothing settles from it, and the order's held total no longer counts it.
    await this.holds.transition(link, 'EXPIRED', { heldMinor: 0n }, EXPIRY_JOB_ACTOR, { detail: { expiresAt: link.expiresAt } });
    const release = await this.holds.release(link, link.providerHoldId!, EXPIRY_JOB_ACTOR);
    this.metrics.authorizationExpiries.inc({ release: release.released ? 'RELEASED' : 'LATER' });
    return 'expired';
  }

  private async reauthorize(link: Authorization): Promise<ChainResult> {
    let available: bigint;
    try {
      const balance = await this.provider.balance({ requestId: randomUUID(), card: { cardNumber: this.vault.decrypt(link.cardEncrypted) }, currency: link.currency });
      available = balance.active ? balance.available.minor : 0n;
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      this.metrics.reauthorizations.inc({ outcome: 'NOT_PROCESSED' });
      return 'retried';
    }
    const successor = nextLinkOf(link, link.heldMinor);
    if (reauthorizationOrder(link.heldMinor, available) === 'HOLD_FIRST') {
      await this.repository.insertLink(successor);
      return this.placeSuccessor(successor, link);
    }
    await this.repository.transaction(async (m) => {
      await this.repository.insertLinkIn(m, successor);
      await this.holds.transition(link, 'REAUTHORIZED', { heldMinor: 0n, nextId: successor.id }, EXPIRY_JOB_ACTOR, {
        detail: { nextAuthorizationId: successor.id, order: 'RELEASE_FIRST', availableMinor: available.toString() },
      }, m);
    });
    const release = await this.holds.release(link, link.providerHoldId!, EXPIRY_JOB_ACTOR);
    // Not released now: the sweep (or the next run's resolution) releases it, then the next run places the new link.
    if (!release.released) return 'retried';
    return this.placeSuccessor(successor, link);
  }

  /** Places the new link; a previous link still OPEN (hold first) was closed by the approval and is released now. */
  private async placeSuccessor(successor: Authorization, previous: Authorization): Promise<ChainResult> {
    const releaseAfter = previous.state === 'OPEN';
    if (successor.state === 'FAILED') await this.holds.transition(successor, 'HOLD_RETRIED', {}, EXPIRY_JOB_ACTOR);
    const outcome = await this.holds.place(successor, undefined, EXPIRY_JOB_ACTOR, true);
    if (outcome === 'DECLINED') {
      this.metrics.reauthorizations.inc({ outcome: 'DECLINED' });
      return 'declined';
    }
    if (outcome !== 'APPROVED') {
      this.metrics.reauthorizations.inc({ outcome: 'NOT_PROCESSED' });
      return 'retried';
    }
    if (releaseAfter) {
      const closed = await this.repository.link(previous.id);
      if (closed.closedReason === 'REAUTHORIZED') await this.holds.release(closed, closed.providerHoldId!, EXPIRY_JOB_ACTOR);
    }
    const short = successor.heldMinor < successor.requestedMinor;
    this.metrics.reauthorizations.inc({ outcome: short ? 'SHORT' : 'REAUTHORIZED' });
    return short ? 'short' : 'reauthorized';
  }
}
