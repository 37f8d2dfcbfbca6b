import { formatAmount } from '@gcpa/money';
import { HttpStatus } from '@nestjs/common';
import { DomainError } from '../common/domain-errors';
import { Settlement } from './settlement.entity';

/** The unique index on (root_authorization_id, invoice_id): an invoice settles once per authorization chain. */
export const INVOICE_ONCE_INDEX = 'settlement_invoice_once';

/**
 * A second request for an invoice already settled (or being settled) on this chain, under another
 * Idempotency-Key: the same amount is the same settlement, answered again; another amount is a conflict.
 */
export function sameInvoice(earlier: Pick<Settlement, 'amountMinor'>, amountMinor: bigint): 'SAME_SETTLEMENT' | 'CONFLICT' {
  return earlier.amountMinor === amountMinor ? 'SAME_SETTLEMENT' : 'CONFLICT';
}

export const invoiceAlreadySettled = (earlier: Settlement) =>
  new DomainError(
    HttpStatus.CONFLICT,
    'INVOICE_ALREADY_SETTLED',
    `Invoice ${earlier.invoiceId} is already settled on this authorization by settlement ${earlier.id}, for another amount`,
    {
      invoiceId: earlier.invoiceId,
      settlementId: earlier.id,
      amount: formatAmount({ minor: earlier.amountMinor, currency: earlier.currency }),
      status: earlier.status,
    },
  );
