import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Authorization } from '../authorizations/authorization.entity';
import { authorizationView, settlementView } from '../authorizations/authorization.view';
import { notFound } from '../common/domain-errors';
import { Settlement } from './settlement.entity';

/**
 * `GET /v1/settlements/{id}`: one settlement as the OMS polls it (a batch one after its 202), with the
 * authorization it was redeemed from and the advanced hold it placed. Reads only; the lifecycle is
 * SettlementsService's.
 */
@Injectable()
export class SettlementReads {
  constructor(private readonly dataSource: DataSource) {}

  async read(id: string) {
    const settlement = await this.dataSource.getRepository(Settlement).findOneBy({ id });
    if (!settlement) throw notFound('settlement', id);
    const ids = [settlement.servedAuthorizationId, settlement.advancedAuthorizationId].filter((a): a is string => !!a);
    const authorizations = ids.length ? await this.dataSource.getRepository(Authorization).findBy(ids.map((a) => ({ id: a }))) : [];
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
