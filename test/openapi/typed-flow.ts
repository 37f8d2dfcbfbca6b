import createClient from 'openapi-fetch';
// Generated from the adapter's /docs-json by typed-client.e2e-spec.ts (git-ignored, never edited by hand).
import type { paths } from './generated/adapter-api';

/**
 * An integrator's program written only against the generated types: a hold, a partial settlement (with its
 * advanced hold), a read of the settlement and a reversal. `tsc --noEmit` on this file proves the document
 * describes these answers; running it proves the answers are what the document says.
 */
export async function holdSettleReverse(baseUrl: string, apiKey: string, card: { cardNumber: string; pin?: string }, run: string) {
  const client = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${apiKey}` } });

  const hold = await client.POST('/v1/authorizations', {
    params: { header: { 'Idempotency-Key': `${run}-hold` } },
    body: { orderId: `ORD-${run}`, cardNumber: card.cardNumber, pin: card.pin, amount: '60.00', currency: 'USD' },
  });
  if (!hold.data) throw new Error(`hold: ${hold.response.status} ${JSON.stringify(hold.error)}`);
  const authorizationId: string = hold.data.authorizationId;
  const approved: string = hold.data.approvedAmount;

  const settlement = await client.POST('/v1/settlements', {
    params: { header: { 'Idempotency-Key': `${run}-inv-1` } },
    body: { authorizationId, amount: '25.00', invoiceId: 'INV-1' },
  });
  if (!settlement.data) throw new Error(`settlement: ${settlement.response.status} ${JSON.stringify(settlement.error)}`);
  // 201 (settled now) and 202 (batch, OPEN) are told apart by their status.
  if (settlement.data.status === 'OPEN') throw new Error('a sync settlement came back as a batch one');
  const settled: string = settlement.data.settledAmount;
  const advancedHeld: string | undefined = settlement.data.advancedAuthorization?.heldAmount;

  const read = await client.GET('/v1/settlements/{id}', { params: { path: { id: settlement.data.settlementId } } });
  if (!read.data) throw new Error(`settlement read: ${read.response.status}`);
  const readStatus: string = read.data.status;

  const reversal = await client.POST('/v1/authorizations/{id}/reversals', {
    params: { path: { id: authorizationId }, header: { 'Idempotency-Key': `${run}-cancel` } },
    body: { amount: '0.00' },
  });
  if (!reversal.data) throw new Error(`reversal: ${reversal.response.status} ${JSON.stringify(reversal.error)}`);

  // An error answer is typed as the error envelope.
  const refused = await client.POST('/v1/authorizations/{id}/reversals', {
    params: { path: { id: authorizationId }, header: { 'Idempotency-Key': `${run}-bad-cancel` } },
    body: { amount: '5.00' },
  });
  const errorCode: string | undefined = refused.error?.error.code;

  return {
    authorizationId,
    approved,
    settled,
    advancedHeld,
    readStatus,
    location: settlement.response.headers.get('location'),
    reversal: { state: reversal.data.state, closedReason: reversal.data.closedReason, heldAmount: reversal.data.heldAmount },
    refused: { status: refused.response.status, errorCode },
  };
}
