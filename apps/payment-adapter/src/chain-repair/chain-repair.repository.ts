import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { Authorization } from '../authorizations/authorization.entity';
import { holdNotGoneSql } from '../provider-calls/hold-gone';
import { ProviderCall } from '../provider-calls/provider-call.entity';
import { Settlement } from '../settlements/settlement.entity';

/** Every statement of the chain repair: what it reads of a chain's links, their provider calls and settlements. */
@Injectable()
export class ChainRepairRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Whether the repair has anything to do on the chain: an unresolved call, an answered redeem whose settlement
   * is still PROCESSING, or a placed hold its link does not own (or a link the expiry job closed) and nothing
   * ended. One statement: it runs on every settlement and reversal, so the full pass runs only when there is work.
   */
  async needsResolution(rootId: string): Promise<boolean> {
    const [row] = await this.dataSource.query(
      // The chain's calls first (by index: a handful of rows), then the conditions over them.
      `WITH links AS MATERIALIZED (SELECT id, state, closed_reason, provider_hold_id FROM authorization_hold WHERE root_id = $1),
       chain AS MATERIALIZED (
         SELECT pc.id, pc.operation, pc.outcome, pc.settlement_id, pc.provider_transaction_id, pc.authorization_id,
                l.state AS link_state, l.closed_reason AS link_closed_reason, l.provider_hold_id AS link_hold_id
           FROM provider_call pc JOIN links l ON l.id = pc.authorization_id
          WHERE pc.authorization_id = ANY (ARRAY (SELECT id FROM links)))
       SELECT EXISTS (
         SELECT 1 FROM chain c
          WHERE c.outcome IN ('UNKNOWN', 'PENDING')
            OR (c.operation = 'REDEEM_FROM_HOLD' AND c.outcome IN ('SUCCEEDED', 'APPLIED') AND c.link_state = 'OPEN'
                AND EXISTS (SELECT 1 FROM settlement s WHERE s.id = c.settlement_id AND s.status = 'PROCESSING'))
            OR (c.operation = 'HOLD' AND c.outcome IN ('SUCCEEDED', 'APPLIED')
                AND (c.provider_transaction_id IS DISTINCT FROM c.link_hold_id
                     -- the hold of a link closed by the expiry job (re-authorized, expired) is released after its close
                     OR c.link_closed_reason IN ('REAUTHORIZED', 'EXPIRED'))
                AND ${holdNotGoneSql('c.provider_transaction_id', { redeemsOf: 'c.authorization_id' })})
       ) AS needed`,
      [rootId],
    );
    return row.needed === true;
  }

  /** The chain's links, oldest first. */
  linksOf(rootId: string): Promise<Authorization[]> {
    return this.dataSource.getRepository(Authorization).find({ where: { rootId }, order: { createdAt: 'ASC' } });
  }

  /** The calls on these links whose outcome is not known yet (PENDING or UNKNOWN), oldest first. */
  unresolvedCallsOf(linkIds: string[]): Promise<ProviderCall[]> {
    return this.dataSource.getRepository(ProviderCall).find({
      where: { authorizationId: In(linkIds), outcome: In(['UNKNOWN', 'PENDING']) },
      order: { createdAt: 'ASC' },
    });
  }

  /** Redeems from the holds of these (open) links that the provider answered or a look-up found. */
  answeredRedeemsOf(linkIds: string[]): Promise<ProviderCall[]> {
    return this.dataSource.getRepository(ProviderCall).find({
      where: { authorizationId: In(linkIds), operation: 'REDEEM_FROM_HOLD', outcome: In(['SUCCEEDED', 'APPLIED']) },
    });
  }

  /** Holds placed for these links that the provider answered or a look-up found, oldest first. */
  placedHoldsOf(linkIds: string[]): Promise<ProviderCall[]> {
    return this.dataSource.getRepository(ProviderCall).find({
      where: { authorizationId: In(linkIds), operation: 'HOLD', outcome: In(['SUCCEEDED', 'APPLIED']) },
      order: { createdAt: 'ASC' },
    });
  }

  /** Whether the provider hold `holdId` of the link `linkId` may still be held: no release of it, nor redeem by the link, ended. */
  async holdNotGone(holdId: string, linkId: string): Promise<boolean> {
    const [row] = await this.dataSource.query(`SELECT ${holdNotGoneSql('$1', { redeemsOf: '$2' })} AS held`, [holdId, linkId]);
    return row.held === true;
  }

  /**
   * Whether the provider may still hold value for the chain: a hold of one of its links that was placed (or
   * found, or may have been) and that nothing ended, other than the hold of its open link.
   */
  async chainStillHolds(rootId: string): Promise<boolean> {
    const [row] = await this.dataSource.query(
      `WITH links AS MATERIALIZED (SELECT id, state, provider_hold_id FROM authorization_hold WHERE root_id = $1)
       SELECT EXISTS (
         SELECT 1 FROM provider_call h
          WHERE h.authorization_id = ANY (ARRAY (SELECT id FROM links)) AND h.operation = 'HOLD'
            AND h.provider_transaction_id IS NOT NULL AND h.outcome IN ('SUCCEEDED', 'APPLIED', 'UNKNOWN')
            AND NOT EXISTS (SELECT 1 FROM links l WHERE l.state = 'OPEN' AND l.provider_hold_id = h.provider_transaction_id)
            AND ${holdNotGoneSql('h.provider_transaction_id')}
       ) AS held`,
      [rootId],
    );
    return row.held === true;
  }

  /** Links of the chain never placed at the provider (not processed, or pending). */
  unplacedLinks(rootId: string): Promise<Authorization[]> {
    return this.dataSource.getRepository(Authorization).find({ where: { rootId, state: In(['FAILED', 'PENDING']) } });
  }

  /** The chain's newest link. */
  async lastLinkOf(rootId: string): Promise<Authorization | undefined> {
    const [last] = await this.dataSource.getRepository(Authorization).find({ where: { rootId }, order: { createdAt: 'DESC' }, take: 1 });
    return last;
  }

  /** Whether any provider call was ever recorded for the link. */
  async hasCalls(authorizationId: string): Promise<boolean> {
    return (await this.dataSource.getRepository(ProviderCall).countBy({ authorizationId })) > 0;
  }

  settlement(id: string): Promise<Settlement> {
    return this.dataSource.getRepository(Settlement).findOneByOrFail({ id });
  }
}
