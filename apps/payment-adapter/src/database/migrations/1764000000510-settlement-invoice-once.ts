import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An invoice settles once per authorization chain. A database that already holds an invoice settled twice on
 * one chain (the bug this closes) stops here with the pairs to reconcile, rather than hiding the duplicates.
 */
export class SettlementInvoiceOnce1764000000510 implements MigrationInterface {
  name = 'SettlementInvoiceOnce1764000000510';

  async up(q: QueryRunner): Promise<void> {
    const duplicates: Array<{ root_authorization_id: string; invoice_id: string; settlements: string }> = await q.query(
      `SELECT root_authorization_id, invoice_id, string_agg(id::text, ', ' ORDER BY created_at) AS settlements
         FROM settlement GROUP BY root_authorization_id, invoice_id HAVING count(*) > 1 LIMIT 20`,
    );
    if (duplicates.length > 0) {
      const list = duplicates.map((d) => `chain ${d.root_authorization_id} invoice ${JSON.stringify(d.invoice_id)}: ${d.settlements}`).join('; ');
      throw new Error(
        `Cannot make invoices unique per authorization chain: some were settled more than once (${list}). ` +
          `Reconcile them with the provider, then give the later settlements a distinct invoice_id and start again.`,
      );
    }
    await q.query(`CREATE UNIQUE INDEX settlement_invoice_once ON settlement (root_authorization_id, invoice_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX settlement_invoice_once`);
  }
}
