import { HistoryAction } from '@gcpa/clutch';
import { Money } from '@gcpa/money';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { refuse } from '../protocol/clutch-error';
import {
  AllocateCommand,
  HoldCommand,
  IssueCommand,
  PinCheck,
  RedeemCommand,
  RedeemFromHoldCommand,
} from '../protocol/requests';
import { CardSetEntity } from './card-set.entity';
import { CardEntity } from './card.entity';
import { isTransactionId, newCardNumber, newPin } from './card-numbers';
import { HoldEntity } from './hold.entity';
import { LedgerTransactionEntity } from './ledger-transaction.entity';
import { amountToTake, cardFigures, checkActive, checkCurrency, checkPin } from './ledger-rules';

/** A card with its open holds, read in one consistent view. */
export interface CardView {
  card: CardEntity;
  openHolds: HoldEntity[];
}

export interface BalanceChange {
  transactionId: string;
  /** What the operation actually moved or reserved (less than asked with redeemMaxOnOverdraw). */
  amountMinor: bigint;
  view: CardView;
}

export interface Allocation {
  cardNumber: string;
  pin: string | null;
  transactionId?: string;
}

/** Who is calling: stored on every history row the call creates. */
export interface CallContext {
  customRequestId: string | null;
}

/**
 * The card ledger. Each operation is one database transaction that locks the card row first
 * (`SELECT ... FOR UPDATE`), so concurrent calls on one card are serialised and can never overdraw it;
 * the CHECK constraints of the tables are the second line.
 */
@Injectable()
export class LedgerService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async search(request: { cardNumber: string } & PinCheck): Promise<CardView> {
    const view = await this.snapshotCard(request.cardNumber);
    checkPin(view.card, request);
    return view;
  }

  /** A card and its open holds in one statement (one consistent snapshot, one round trip): for reads. */
  private async snapshotCard(cardNumber: string): Promise<CardView> {
    const rows: Array<Record<string, any>> = await this.dataSource.query(
      `SELECT c.card_number, c.pin, c.card_set_id, c.active, c.currency, c.balance_minor::text AS balance_minor,
              COALESCE(json_agg(json_build_object('id', h.id, 'amount', h.amount_minor::text, 'original', h.original_amount_minor::text)
                ORDER BY h.created_at, h.id) FILTER (WHERE h.id IS NOT NULL), '[]') AS holds
         FROM card c LEFT JOIN hold h ON h.card_number = c.card_number AND h.status = 'OPEN'
        WHERE c.card_number = $1
        GROUP BY c.card_number`,
      [cardNumber],
    );
    const row = rows[0];
    if (!row) throw refuse('cardNotFound');
    const holds: Array<{ id: string; amount: string; original: string }> =
      typeof row.holds === 'string' ? JSON.parse(row.holds) : row.holds;
    const card = this.dataSource.manager.create(CardEntity, {
      cardNumber: row.card_number,
      pin: row.pin,
      cardSetId: row.card_set_id,
      active: row.active,
      currency: row.currency,
      balanceMinor: BigInt(row.balance_minor),
    });
    const openHolds = holds.map((h) =>
      this.dataSource.manager.create(HoldEntity, {
        id: h.id,
        cardNumber: row.card_number,
        amountMinor: BigInt(h.amount),
        originalAmountMinor: BigInt(h.original),
        status: 'OPEN',
      }),
    );
    return { card, openHolds };
  }

  async hold(request: HoldCommand, context: CallContext): Promise<BalanceChange> {
    return this.dataSource.transaction(async (manager) => {
      const view = await this.lockCard(manager, request.cardNumber);
      this.checkSpendable(view.card, request, request.amount);
      const amount = amountToTake(cardFigures(view.card, view.openHolds).available, request.amount.minor, request.redeemMaxOnOverdraw);
      const transaction = await this.record(manager, view.card, 'hold', amount, context);
      const hold = manager.create(HoldEntity, {
        id: transaction.id,
        cardNumber: view.card.cardNumber,
        originalAmountMinor: amount,
        amountMinor: amount,
        status: 'OPEN',
        closedAt: null,
      });
      await manager.insert(HoldEntity, hold);
      view.openHolds.push(hold);
      return { transactionId: transaction.id, amountMinor: amount, view };
    });
  }

  async redeem(request: RedeemCommand, context: CallContext): Promise<BalanceChange> {
    return this.dataSource.transaction(async (manager) => {
      const view = await this.lockCard(manager, request.cardNumber);
      this.checkSpendable(view.card, request, request.amount);
      const amount = amountToTake(cardFigures(view.card, view.openHolds).available, request.amount.minor, request.redeemMaxOnOverdraw);
      const transaction = await this.record(manager, view.card, 'redeem', amount, context);
      await this.setBalance(manager, view.card, view.card.balanceMinor - amount);
      return { transactionId: transaction.id, amountMinor: amount, view };
    });
  }

  /** Charges up to the hold's amount; with releaseHoldRemainder the hold closes (amount 0: a plain release). */
  async redeemFromHold(request: RedeemFromHoldCommand, context: CallContext): Promise<BalanceChange> {
    return this.dataSource.transaction(async (manager) => {
      const view = await this.lockCard(manager, request.cardNumber);
      this.checkSpendable(view.card, request, request.amount);
      const hold = isTransactionId(request.holdId) ? await manager.findOneBy(HoldEntity, { id: request.holdId }) : null;
      if (!hold || hold.cardNumber !== view.card.cardNumber) throw refuse('holdNotFound');
      if (hold.status !== 'OPEN') throw refuse('holdClosed');
      const amount = request.amount.minor;
      if (amount > hold.amountMinor) throw refuse('insufficientFunds');

      const closes = request.releaseHoldRemainder;
      const transaction = await this.record(manager, view.card, 'redeem', amount, context, {
        relatedTransactionId: hold.id,
        closesHold: closes,
      });
      if (amount > 0n) await this.setBalance(manager, view.card, view.card.balanceMinor - amount);
      const remaining = closes ? 0n : hold.amountMinor - amount;
      const status = !closes ? 'OPEN' : amount > 0n ? 'REDEEMED' : 'RELEASED';
      await manager.query(
        `UPDATE hold SET amount_minor = $2, status = $3, closed_at = CASE WHEN $3 = 'OPEN' THEN NULL ELSE now() END WHERE id = $1`,
        [hold.id, remaining.toString(), status],
      );
      const open = view.openHolds.find((h) => h.id === hold.id);
      if (open) open.amountMinor = remaining;
      if (closes) view.openHolds = view.openHolds.filter((h) => h.id !== hold.id);
      return { transactionId: transaction.id, amountMinor: amount, view };
    });
  }

  async issue(request: IssueCommand, context: CallContext): Promise<BalanceChange> {
    return this.dataSource.transaction(async (manager) => {
      const view = await this.lockCard(manager, request.cardNumber);
      this.checkSpendable(view.card, request, request.amount);
      const amount = request.amount.minor;
      const transaction = await this.record(manager, view.card, 'issue', amount, context, {
        isReturnRelated: request.isReturnRelated,
      });
      await this.setBalance(manager, view.card, view.card.balanceMinor + amount);
      return { transactionId: transaction.id, amountMinor: amount, view };
    });
  }

  async allocate(request: AllocateCommand, context: CallContext): Promise<Allocation> {
    return request.kind === 'activate'
      ? this.activate(request.cardNumber, context)
      : this.allocateFromCardSet(request.cardSetId, context);
  }

  /**
   * A new inactive card of the set. Idempotent on the caller's customRequestId (our sandbox's choice, so a
   * lost allocate response can be recovered): the same id gives back the same card.
   */
  private async allocateFromCardSet(cardSetId: string, context: CallContext): Promise<Allocation> {
    return this.dataSource.transaction(async (manager) => {
      if (context.customRequestId !== null) {
        await manager.query(`SELECT pg_advisory_xact_lock(hashtext('allocate:' || $1))`, [context.customRequestId]);
        const earlier = await manager.findOneBy(LedgerTransactionEntity, {
          action: 'allocate',
          customRequestId: context.customRequestId,
        });
        if (earlier) {
          const card = await manager.findOneByOrFail(CardEntity, { cardNumber: earlier.cardNumber });
          return { cardNumber: card.cardNumber, pin: card.pin, transactionId: earlier.id };
        }
      }
      const cardSet = await manager.findOneBy(CardSetEntity, { id: cardSetId });
      if (!cardSet) throw refuse('cardSetNotFound');
      const card = await this.insertNewCard(manager, {
        cardSetId: cardSet.id,
        currency: cardSet.currency,
        pin: cardSet.hasPin ? newPin() : null,
        active: false,
      });
      const transaction = await this.record(manager, card, 'allocate', 0n, context);
      return { cardNumber: card.cardNumber, pin: card.pin, transactionId: transaction.id };
    });
  }

  /** Claims a known (physical) card: it becomes active. Activating an active card succeeds and changes nothing. */
  private async activate(cardNumber: string, context: CallContext): Promise<Allocation> {
    return this.dataSource.transaction(async (manager) => {
      const { card } = await this.lockCard(manager, cardNumber, false);
      if (card.active) {
        const earlier = await manager.findOne(LedgerTransactionEntity, {
          where: { cardNumber, action: 'activate' },
          order: { seq: 'DESC' },
        });
        return { cardNumber, pin: card.pin, transactionId: earlier?.id };
      }
      await manager.query(`UPDATE card SET active = true WHERE card_number = $1`, [cardNumber]);
      const transaction = await this.record(manager, card, 'activate', 0n, context);
      return { cardNumber, pin: card.pin, transactionId: transaction.id };
    });
  }

  /**
   * Undoes one balance change: a hold is released, a redeem's amount comes back, an issue's value goes
   * (when it is still available). Voiding a voided transaction answers the same void again.
   */
  async void(transactionId: string, context: CallContext): Promise<{ transactionId: string }> {
    const target = isTransactionId(transactionId)
      ? await this.dataSource.manager.findOneBy(LedgerTransactionEntity, { id: transactionId })
      : null;
    if (!target) throw refuse('transactionNotFound');
    return this.dataSource.transaction(async (manager) => {
      const view = await this.lockCard(manager, target.cardNumber);
      // Re-read under the card's lock: another void may have won the race.
      const transaction = await manager.findOneByOrFail(LedgerTransactionEntity, { id: transactionId });
      if (transaction.voided) {
        const earlier = await manager.findOneByOrFail(LedgerTransactionEntity, {
          relatedTransactionId: transaction.id,
          action: 'void',
        });
        return { transactionId: earlier.id };
      }
      const amount = transaction.amountMinor;
      let closesHold = false;
      switch (transaction.action) {
        case 'hold': {
          const hold = view.openHolds.find((h) => h.id === transaction.id);
          if (!hold) throw refuse('voidNotPossible');
          await manager.query(`UPDATE hold SET amount_minor = 0, status = 'VOIDED', closed_at = now() WHERE id = $1`, [hold.id]);
          closesHold = true;
          break;
        }
        case 'redeem':
          // A zero-amount redeem is a hold's release: there is nothing to give back.
          if (amount === 0n) throw refuse('voidNotPossible');
          await this.setBalance(manager, view.card, view.card.balanceMinor + amount);
          break;
        case 'issue':
          if (cardFigures(view.card, view.openHolds).available < amount) throw refuse('voidNotPossible');
          await this.setBalance(manager, view.card, view.card.balanceMinor - amount);
          break;
        default:
          throw refuse('voidNotPossible');
      }
      await manager.query(`UPDATE ledger_transaction SET voided = true WHERE id = $1`, [transaction.id]);
      const voidRow = await this.record(manager, view.card, 'void', amount, context, {
        relatedTransactionId: transaction.id,
        closesHold,
      });
      return { transactionId: voidRow.id };
    });
  }

  /** The card's history, newest first. */
  async history(cardNumber: string): Promise<{ card: CardEntity; transactions: LedgerTransactionEntity[] }> {
    // Rows are only ever appended (and flagged voided), so two plain reads are consistent enough.
    const card = await this.dataSource.manager.findOneBy(CardEntity, { cardNumber });
    if (!card) throw refuse('cardNotFound');
    const transactions = await this.dataSource.manager.find(LedgerTransactionEntity, { where: { cardNumber }, order: { seq: 'DESC' } });
    return { card, transactions };
  }

  /** Inserts a card under a fresh random number (retrying the rare collision). */
  async insertNewCard(
    manager: EntityManager,
    card: { cardSetId: string; currency: string; pin: string | null; active: boolean; cardNumber?: string },
  ): Promise<CardEntity> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const cardNumber = card.cardNumber ?? newCardNumber();
      const rows: unknown[] = await manager.query(
        `INSERT INTO card (card_number, pin, card_set_id, active, currency, balance_minor)
         VALUES ($1, $2, $3, $4, $5, 0) ON CONFLICT (card_number) DO NOTHING RETURNING card_number`,
        [cardNumber, card.pin, card.cardSetId, card.active, card.currency],
      );
      if (rows.length === 1) {
        return manager.create(CardEntity, { ...card, cardNumber, balanceMinor: 0n });
      }
      if (card.cardNumber !== undefined) throw new CardNumberTaken(cardNumber);
    }
    throw new Error('could not find a free card number');
  }

  /** Appends a history row. */
  async record(
    manager: EntityManager,
    card: Pick<CardEntity, 'cardNumber' | 'currency'>,
    action: HistoryAction,
    amountMinor: bigint,
    context: CallContext,
    extra: Partial<Pick<LedgerTransactionEntity, 'relatedTransactionId' | 'isReturnRelated' | 'closesHold'>> = {},
  ): Promise<LedgerTransactionEntity> {
    const row = manager.create(LedgerTransactionEntity, {
      id: randomUUID(),
      cardNumber: card.cardNumber,
      action,
      amountMinor,
      currency: card.currency,
      customRequestId: context.customRequestId,
      relatedTransactionId: extra.relatedTransactionId ?? null,
      isReturnRelated: extra.isReturnRelated ?? false,
      closesHold: extra.closesHold ?? false,
      voided: false,
    });
    await manager.createQueryBuilder().insert().into(LedgerTransactionEntity).values(row).updateEntity(false).execute();
    return row;
  }

  /**
   * Locks a card row for the rest of the transaction, which serialises every change to the card and to its
   * holds, then reads its open holds.
   */
  private async lockCard(manager: EntityManager, cardNumber: string, withHolds = true): Promise<CardView> {
    const card = await manager.findOne(CardEntity, { where: { cardNumber }, lock: { mode: 'pessimistic_write' } });
    if (!card) throw refuse('cardNotFound');
    const openHolds = withHolds
      ? await manager.find(HoldEntity, { where: { cardNumber, status: 'OPEN' }, order: { createdAt: 'ASC', id: 'ASC' } })
      : [];
    return { card, openHolds };
  }

  private checkSpendable(card: CardEntity, request: PinCheck, amount: Money): void {
    checkPin(card, request);
    checkActive(card);
    checkCurrency(card, amount);
  }

  private async setBalance(manager: EntityManager, card: CardEntity, balanceMinor: bigint): Promise<void> {
    await manager.query(`UPDATE card SET balance_minor = $2 WHERE card_number = $1`, [card.cardNumber, balanceMinor.toString()]);
    card.balanceMinor = balanceMinor;
  }
}

export class CardNumberTaken extends Error {
  constructor(readonly cardNumber: string) {
    super(`card ${cardNumber} exists already`);
  }
}
