import { invoiceAlreadySettled, sameInvoice } from './invoice-once';
import { Settlement } from './settlement.entity';

describe('an invoice settles once', () => {
  it('is the same settlement for the same amount, a conflict for another', () => {
    expect(sameInvoice({ amountMinor: 2000n }, 2000n)).toBe('SAME_SETTLEMENT');
    expect(sameInvoice({ amountMinor: 2000n }, 2001n)).toBe('CONFLICT');
    expect(sameInvoice({ amountMinor: 2000n }, 1999n)).toBe('CONFLICT');
  });

  it('answers a conflict with 409 INVOICE_ALREADY_SETTLED naming the first settlement', () => {
    const earlier = { id: 's-1', invoiceId: 'INV-1', amountMinor: 2000n, currency: 'USD', status: 'SETTLED' } as Settlement;
    const error = invoiceAlreadySettled(earlier);
    expect(error).toMatchObject({ status: 409, code: 'INVOICE_ALREADY_SETTLED', details: { invoiceId: 'INV-1', settlementId: 's-1', amount: '20.00', status: 'SETTLED' } });
  });
});
