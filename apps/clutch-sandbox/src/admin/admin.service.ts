import { CLUTCH_ERRORS } from '@gcpa/clutch';
import { currencyScale, formatMinor } from '@gcpa/money';
import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, In } from 'typeorm';
import { SandboxConfig } from '../config/sandbox.config';
import { CardSetEntity } from '../ledger/card-set.entity';
import { CardEntity } from '../ledger/card.entity';
import { HoldEntity } from '../ledger/hold.entity';
import { LedgerTransactionEntity } from '../ledger/ledger-transaction.entity';
import { cardFigures } from '../ledger/ledger-rules';
import { CardNumberTaken, LedgerService } from '../ledger/ledger.service';
import { ClutchError } from '../protocol/clutch-error';
import { NewCard, NewCardSet, parseAdminAmount } from './admin-requests';
import { DEMO_CARDS } from './demo-cards';

export interface CardSummary {
  cardNumber: string;
  pin: string | null;
  currency: string;
  balance: string;
  active: boolean;
}

const notFound = (message: string) => new ClutchError(404, message);

/** The sandbox's own surface for people and tests: cards with balances, card sets, demo cards. */
@Injectable()
export class AdminService implements OnApplicationBootstrap {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly config: SandboxConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.SANDBOX_SEED_DEMO) return;
    for (const demo of DEMO_CARDS) {
      try {
        await this.createCard({ ...demo, cardSetId: 'egift' });
      } catch (error) {
        if (!(error instanceof ClutchError && error.httpStatus === 409)) throw error;
      }
    }
  }

  /** A card with a starting balance; the balance is recorded as an `issue` so the history explains it. */
  async createCard(request: NewCard): Promise<CardSummary> {
    return this.dataSource.transaction(async (manager) => {
      const cardSet = await manager.findOneBy(CardSetEntity, { id: request.cardSetId });
      if (!cardSet) throw notFound(CLUTCH_ERRORS.cardSetNotFound.message);
      const currency = request.currency ?? cardSet.currency;
      const balance = parseAdminAmount(request.balance, currency);
      let card: CardEntity;
      try {
        card = await this.ledger.insertNewCard(manager, {
          cardSetId: cardSet.id,
          currency,
          pin: request.pin,
          active: request.active,
          cardNumber: request.cardNumber,
        });
      } catch (error) {
        if (error instanceof CardNumberTaken) throw new ClutchError(409, `Card ${error.cardNumber} exists already.`);
        throw error;
      }
      if (balance.minor > 0n) {
        // Like every Clutch history entry, the starting balance's carries a requestRef (its own: no merchant call made it).
        await this.ledger.record(manager, card, 'issue', balance.minor, { customRequestId: null, requestRef: randomUUID() });
        await manager.query(`UPDATE card SET balance_minor = $2 WHERE card_number = $1`, [card.cardNumber, balance.minor.toString()]);
        card.balanceMinor = balance.minor;
      }
      return summary(card);
    });
  }

  async createCardSet(request: NewCardSet): Promise<{ created: boolean; cardSet: NewCardSet }> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO card_set (id, has_pin, currency) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING RETURNING id`,
      [request.id, request.hasPin, request.currency],
    );
    if (rows.length === 1) return { created: true, cardSet: request };
    const existing = await this.dataSource.manager.findOneByOrFail(CardSetEntity, { id: request.id });
    if (existing.hasPin !== request.hasPin || existing.currency !== request.currency) {
      throw new ClutchError(409, `Card set ${request.id} exists already with other settings.`);
    }
    return { created: false, cardSet: request };
  }

  async card(cardNumber: string) {
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const card = await manager.findOneBy(CardEntity, { cardNumber });
      if (!card) throw notFound(CLUTCH_ERRORS.cardNotFound.message);
      const holds = await manager.find(HoldEntity, { where: { cardNumber }, order: { createdAt: 'DESC' } });
      const history = await manager.find(LedgerTransactionEntity, { where: { cardNumber }, order: { seq: 'DESC' } });
      const figures = cardFigures(card, holds.filter((h) => h.status === 'OPEN'));
      const text = (minor: bigint) => formatMinor(minor, currencyScale(card.currency));
      return {
        cardNumber: card.cardNumber,
        cardSetId: card.cardSetId,
        currency: card.currency,
        balance: text(figures.balance),
        held: text(figures.held),
        available: text(figures.available),
        active: card.active,
        pin: card.pin,
        holds: holds.map((h) => ({
          holdId: h.id,
          amount: text(h.amountMinor),
          originalAmount: text(h.originalAmountMinor),
          status: h.status,
        })),
        history: history.map((t) => ({
          transactionId: t.id,
          action: t.action,
          amount: text(t.amountMinor),
          currency: t.currency,
          customRequestId: t.customRequestId,
          relatedTransactionId: t.relatedTransactionId,
          isReturnRelated: t.isReturnRelated,
          voided: t.voided,
          createdAt: t.createdAt.toISOString(),
        })),
      };
    });
  }

  /** The demo cards (`demo`), or the most recent cards. */
  async cards(demoOnly: boolean): Promise<CardSummary[]> {
    const cards = demoOnly
      ? await this.dataSource.manager.find(CardEntity, {
          where: { cardNumber: In(DEMO_CARDS.map((c) => c.cardNumber)) },
          order: { cardNumber: 'ASC' },
        })
      : await this.dataSource.manager.find(CardEntity, { order: { createdAt: 'DESC' }, take: 1000 });
    return cards.map(summary);
  }
}

function summary(card: CardEntity): CardSummary {
  return {
    cardNumber: card.cardNumber,
    pin: card.pin,
    currency: card.currency,
    balance: formatMinor(card.balanceMinor, currencyScale(card.currency)),
    active: card.active,
  };
}
