import { Injectable } from '@nestjs/common';
import { authorizationView, settlementView } from '../authorizations/authorization.view';
import { notFound } from '../common/domain-errors';
import { SettlementsRepository } from './settlements.repository';

/**
 * `GET /v1/settlements/{id}`: one settlement as the OMS polls it (a batch one after its 202), with the
 * authorization it was redeemed from and the advanced hold it placed. Reads only; the lifecycle is
 * SettlementsService's.
 */
@Injectable()
export class SettlementReads {
  constructor(private readonly settlements: SettlementsRepository) {}

  async read(id: string) {
    const settlement = await this.settlements.settlement(id);
    if (!settlement) throw notFound('settlement', id);
    const ids = [settlement.servedAuthorizationId, settlement.advancedAuthorizationId].filter((a): a is string => !!a);
    const authorizations = ids.length ? await this.settlements.authorizations(ids) : [];
    const byId = new Map(authorizations.map((a) => [a.id, a]));
    const served = settlement.servedAuthorizationId ? byId.get(settlement.servedAuthorizationId) : undefined;
    const advanced = settlement.advancedAuthorizationId ? byId.get(settlement.advancedAuthorizationId) : undefined;
    return {
      ...settlementView(settlement),
      /** The link of the chain the redeem was taken from; null while a batch settlement waits. */
      authorization: served ? authorizationView(served) : null,
      /** The hold placed again for the unshipped rest (a partial, not final settlement), else null. */
      advancedAuthorization: advanced ? authorizationView(advanced) : null,
    };
  }
}
