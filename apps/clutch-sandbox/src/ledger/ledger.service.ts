import { Money } from '@gcpa/money';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { SandboxBehaviour } from '../behaviour/sandbox-behaviour';
import { refuse } from '../protocol/clutch-error';
import {
  AllocateCommand,
  CardHistoryCommand,
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
import { HistoryAction, LedgerTransactionEntity } from './ledger-transaction.entity';
import { amountToHold, amountToTake, cardFigures, checkActive, checkCurrency, checkPin, signedAmount } from './ledger-rules';

/** A card with its open holds, read in one consistent view. */
export interface CardView {
  card: CardEntity;
  openHolds: HoldEntity[];
}

export interface BalanceChange {
  transactionId: string;
  /** What the operation actually moved or reserved (less than asked when it overdrew). */
  amountMinor: bigint;
  didOverdraw: boolean;
  view: CardView;
}

export interface Allocation {
  cardNumber: string;
  pin: string | null;
}

/** Who is calling, and Clutch's id of this request: stored on every history row the call creates. */
export interface CallContext {
  customRequestId: string | null;
  externalTransactionId?: string | null;
  requestRef?: string | null;
}

/** A history row as `cardHistory` shows it: its signed movement is computed from what it acted on. */
export interface HistoryRow {
  row: LedgerTransactionEntity;
  signedMinor: bigint;
}

/**
 * The card ledger. Each operation is one database transaction that locks the card row first
 * (`SELECT ... FOR UPDATE`), so concurrent calls on one card are serialised and can never overdraw it;
 * the CHECK constraints of the tables are the second line.
 */
@Injectable()
export class LedgerService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly behaviour: SandboxBehaviour,
  ) {}

  /** The card, or null when Clutch would list none (unknown, or inactive without `includeInactive`). */
  async search(request: { cardNumber: string; includeInactive: boolean } & PinCheck): Promise<CardView | null> {
    await this.expireHolds(this.dataSource.manager, request.cardNumber);
    const view = await this.snapshotCard(request.cardNumber);
    if (!view || (!view.card.active && !request.includeInactive)) return null;
    checkPin(view.card, request);
    return view;
  }

  /** Holds older than the configured lifetime lapse (lazily, when their card is next looked at). */
  private async expireHolds(manager: EntityManager, cardNumber: string): Promise<void> {
    const ttl = this.behaviour.settings.holdTtlSeconds;
    if (ttl === null) return;
    await manager.query(
      `UPDATE hold SET status = 'EXPIRED', amount_minor = 0, closed_at = now()
        WHERE card_number = $1 AND status = 'OPEN' AND created_at < now() - make_interval(secs => $2)`,
      [cardNumber, ttl],
    );
  }

  /** A card and its open holds in one statement (one consistent snapshot, one round trip): for reads. */
  private async snapshotCard(cardNumber: string): Promise<CardView | null> {
    const rows: Array<Record<string, any>> = await this.dataSource.query(
      `SELECT c.card_number, c.pin, c.card_set_id, c.active, c.activated_at, c.currency, c.balance_minor::text AS balance_minor,
              COALESCE(json_agg(json_build_object('id', h.id, 'amount', h.amount_minor::text, 'original', h.original_amount_minor::text)
                ORDER BY h.created_at, h.id) FILTER (WHERE h.id IS NOT NULL), '[]') AS holds
         FROM card c LEFT JOIN hold h ON h.card_number = c.card_number AND h.status = 'OPEN'
        WHERE c.card_number = $1
        GROUP BY c.card_number`,
      [cardNumber],
    );
    const row = rows[0];
    if (!row) return null;
    const holds: Array<{ id: string; amount: string; original: string }> =
      typeof row.holds === 'string' ? JSON.parse(row.holds) : row.holds;
    const card = this.dataSource.manager.create(CardEntity, {
      cardNumber: row.card_number,
      pin: row.pin,
      cardSetId: row.card_set_id,
      active: row.active,
      activatedAt: row.activated_at === null ? null : new Date(row.activated_at),
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
      const available = cardFigures(view.card, view.openHolds).available;
      const amount = amountToHold(available, request.amount.minor, this.behaviour.settings.overBalanceHold);
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
      return { transactionId: transaction.id, amountMinor: amount, didOverdraw: amount < request.amount.minor, view };
    });
  }

  async redeem(request: RedeemCommand, context: CallContext): Promise<BalanceChange> {
    return this.dataSource.transaction(async (manager) => {
      const view = await this.lockCard(manager, request.cardNumber);
      this.checkSpendable(view.card, request, request.amount);
      const amount = amountToTake(cardFigures(view.card, view.openHolds).available, request.amount.minor, request.redeemMaxOnOverdraw);
      const transaction = await this.record(manager, view.card, 'redeem', amount, context);
      await this.setBalance(manager, view.card, view.card.balanceMinor - amount);
      return { transactionId: transaction.id, amountMinor: amount, didOverdraw: amount < request.amount.minor, view };
    });
  }

  /**
   * Charges from the hold; with releaseHoldRemainder the hold closes (amount 0: a plain release). Like Clutch,
   * the redeem is not capped at the held amount: more is taken from the available balance when it has it.
   */
  async redeemFromHold(request: RedeemFromHoldCommand, context: CallContext): Promise<BalanceChange> {
    return this.dataSource.transaction(async (manager) => {
      const view = await this.lockCard(manager, request.cardNumber);
      this.checkSpendable(view.card, request, request.amount);
      const hold = isTransactionId(request.holdId) ? await manager.findOneBy(HoldEntity, { id: request.holdId }) : null;
      if (!hold || hold.cardNumber !== view.card.cardNumber) throw refuse('holdNotFound');
      if (hold.status !== 'OPEN') throw refuse('holdClosed');
      const amount = request.amount.minor;
      if (amount > hold.amountMinor + cardFigures(view.card, view.openHolds).available) throw refuse('insufficientFunds');

      const closes = request.releaseHoldRemainder;
      const transaction = await this.record(manager, view.card, 'redeem', amount, context, {
        relatedTransactionId: hold.id,
        closesHold: closes,
      });
      if (amount > 0n) await this.setBalance(manager, view.card, view.card.balanceMinor - amount);
      const remaining = closes || amount >= hold.amountMinor ? 0n : hold.amountMinor - amount;
      const status = !closes ? 'OPEN' : amount > 0n ? 'REDEEMED' : 'RELEASED';
      await manager.query(
        `UPDATE hold SET amount_minor = $2, status = $3, closed_at = CASE WHEN $3 = 'OPEN' THEN NULL ELSE now() END WHERE id = $1`,
        [hold.id, remaining.toString(), status],
      );
      const open = view.openHolds.find((h) => h.id === hold.id);
      if (open) open.amountMinor = remaining;
      if (closes) view.openHolds = view.openHolds.filter((h) => h.id !== hold.id);
      return { transactionId: transaction.id, amountMinor: amount, didOverdraw: false, view };
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
      return { transactionId: transaction.id, amountMinor: amount, didOverdraw: false, view };
    });
  }

  async allocate(request: AllocateCommand, context: CallContext): Promise<Allocation> {
    return request.kind === 'activate'
      ? this.activate(request.cardNumber, context)
      : this.allocateFromCardSet(request.cardSetId, context);
  }

  /**
   * A new inactive card of the set. Sent again, it allocates another card (nothing suggests Clutch is
   * idempotent); `allocateIdempotent` makes the same customRequestId give back the same card.
   */
  private async allocateFromCardSet(cardSetId: string, context: CallContext): Promise<Allocation> {
    return this.dataSource.transaction(async (manager) => {
      if (context.customRequestId !== null && this.behaviour.settings.allocateIdempotent) {
        await manager.query(`SELECT pg_advisory_xact_lock(hashtext('allocate:' || $1))`, [context.customRequestId]);
        const earlier = await manager.findOneBy(LedgerTransactionEntity, {
          action: 'allocate',
          customRequestId: context.customRequestId,
        });
        if (earlier) {
          const card = await manager.findOneByOrFail(CardEntity, { cardNumber: earlier.cardNumber });
          return { cardNumber: card.cardNumber, pin: card.pin };
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
      await this.record(manager, card, 'allocate', 0n, context);
      return { cardNumber: card.cardNumber, pin: card.pin };
    });
  }

  /** Claims a known (physical) card: it becomes active. Activating an active card succeeds and changes nothing. */
  private async activate(cardNumber: string, context: CallContext): Promise<Allocation> {
    return this.dataSource.transaction(async (manager) => {
      const { card } = await this.lockCard(manager, cardNumber, false);
      // [unknown] what Clutch answers for a card allocated already; the sandbox answers success, changing nothing.
      if (card.active) return { cardNumber, pin: card.pin };
      await manager.query(`UPDATE card SET active = true, activated_at = now() WHERE card_number = $1`, [cardNumber]);
      await this.record(manager, card, 'activate', 0n, context);
      return { cardNumber, pin: card.pin };
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
          if (!hold || !this.behaviour.settings.voidHolds) throw refuse('voidNotPossible');
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

  /**
   * One page of the card's history, newest first, with the number of rows in all and the times of the card's
   * oldest and newest transaction (of the whole history, not of the page).
   */
  async history(request: CardHistoryCommand): Promise<{ rows: HistoryRow[]; total: number; oldest: Date | null; newest: Date | null }> {
    // Rows are only ever appended (and flagged voided), so plain reads are consistent enough.
    const card = await this.dataSource.manager.findOneBy(CardEntity, { cardNumber: request.cardNumber });
    if (!card) throw refuse('cardNotFound');
    const [extent]: Array<{ total: number; oldest: Date | null; newest: Date | null }> = await this.dataSource.query(
      `SELECT count(*)::int AS total, min(created_at) AS oldest, max(created_at) AS newest FROM ledger_transaction WHERE card_number = $1`,
      [request.cardNumber],
    );
    const total = extent.total;
    const page = await this.dataSource.manager.find(LedgerTransactionEntity, {
      where: { cardNumber: request.cardNumber },
      order: { seq: 'DESC' },
      take: request.limit,
      skip: request.offset,
    });
    const relatedIds = page.filter((r) => r.action === 'void' && r.relatedTransactionId).map((r) => r.relatedTransactionId!);
    const related = relatedIds.length
      ? await this.dataSource.manager.find(LedgerTransactionEntity, { where: relatedIds.map((id) => ({ id })) })
      : [];
    const actionOf = new Map(related.map((r) => [r.id, r.action]));
    return {
      rows: page.map((row) => ({ row, signedMinor: signedAmount(row.action, row.amountMinor, actionOf.get(row.relatedTransactionId ?? '')) })),
      total,
      oldest: extent.oldest === null ? null : new Date(extent.oldest),
      newest: extent.newest === null ? null : new Date(extent.newest),
    };
  }

  /** Inserts a card under a fresh random number (retrying the rare collision). */
  async insertNewCard(
    manager: EntityManager,
    card: { cardSetId: string; currency: string; pin: string | null; active: boolean; cardNumber?: string },
  ): Promise<CardEntity> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const cardNumber = card.cardNumber ?? newCardNumber();
      const rows: unknown[] = await manager.query(
        `INSERT INTO card (card_number, pin, card_set_id, active, activated_at, currency, balance_minor)
         VALUES ($1, $2, $3, $4, CASE WHEN $4 THEN now() END, $5, 0) ON CONFLICT (card_number) DO NOTHING RETURNING card_number`,
        [cardNumber, card.pin, card.cardSetId, card.active, card.currency],
      );
      if (rows.length === 1) {
        return manager.create(CardEntity, { ...card, cardNumber, balanceMinor: 0n, activatedAt: card.active ? new Date() : null });
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
      externalTransactionId: context.externalTransactionId ?? null,
      requestRef: context.requestRef ?? null,
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
    await this.expireHolds(manager, cardNumber);
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
