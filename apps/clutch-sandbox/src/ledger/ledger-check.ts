import { DataSource } from 'typeorm';

export interface LedgerProblem {
  problem: string;
  cardNumber?: string;
  holdId?: string;
  transactionId?: string;
  detail: string;
}

/**
 * The ledger's invariants, checked across every card: what `GET /_sandbox/ledger/check` reports.
 * Balance movements: issue +, redeem -, a void reverses what it voided (a hold's void moves nothing).
 * A redeem from a hold may take more than the hold (Clutch does not cap it); an expired hold has no closing row.
 */
const CHECKS: Array<{ problem: string; sql: string; describe: (row: Record<string, string>) => Omit<LedgerProblem, 'problem'> }> = [
  {
    problem: 'negative-balance',
    sql: `SELECT card_number, balance_minor FROM card WHERE balance_minor < 0`,
    describe: (r) => ({ cardNumber: r.card_number, detail: `balance ${r.balance_minor} is negative` }),
  },
  {
    problem: 'held-exceeds-balance',
    sql: `SELECT c.card_number, c.balance_minor, SUM(h.amount_minor) AS held
          FROM card c JOIN hold h ON h.card_number = c.card_number AND h.status = 'OPEN'
          GROUP BY c.card_number, c.balance_minor HAVING SUM(h.amount_minor) > c.balance_minor`,
    describe: (r) => ({ cardNumber: r.card_number, detail: `held ${r.held} exceeds balance ${r.balance_minor}` }),
  },
  {
    problem: 'balance-differs-from-history',
    sql: `SELECT c.card_number, c.balance_minor, COALESCE(m.total, 0) AS from_history
          FROM card c LEFT JOIN (
            SELECT t.card_number, SUM(CASE t.action
              WHEN 'issue' THEN t.amount_minor
              WHEN 'redeem' THEN -t.amount_minor
              WHEN 'void' THEN CASE r.action WHEN 'redeem' THEN r.amount_minor WHEN 'issue' THEN -r.amount_minor ELSE 0 END
              ELSE 0 END) AS total
            FROM ledger_transaction t LEFT JOIN ledger_transaction r ON r.id = t.related_transaction_id
            GROUP BY t.card_number) m ON m.card_number = c.card_number
          WHERE c.balance_minor <> COALESCE(m.total, 0)`,
    describe: (r) => ({
      cardNumber: r.card_number,
      detail: `balance ${r.balance_minor} but the history adds up to ${r.from_history}`,
    }),
  },
  {
    problem: 'hold-closed-more-than-once',
    sql: `SELECT related_transaction_id AS hold_id, COUNT(*) AS closings FROM ledger_transaction
          WHERE closes_hold GROUP BY related_transaction_id HAVING COUNT(*) > 1`,
    describe: (r) => ({ holdId: r.hold_id, detail: `closed ${r.closings} times` }),
  },
  {
    problem: 'hold-status-differs-from-history',
    sql: `SELECT h.id, h.card_number, h.status, COUNT(t.id) AS closings
          FROM hold h LEFT JOIN ledger_transaction t ON t.related_transaction_id = h.id AND t.closes_hold
          GROUP BY h.id, h.card_number, h.status HAVING (h.status IN ('OPEN', 'EXPIRED')) <> (COUNT(t.id) = 0)`,
    describe: (r) => ({ holdId: r.id, cardNumber: r.card_number, detail: `status ${r.status} with ${r.closings} closing rows` }),
  },
  {
    problem: 'hold-amount-differs-from-history',
    sql: `SELECT h.id, h.card_number, h.status, h.original_amount_minor, h.amount_minor, COALESCE(SUM(t.amount_minor), 0) AS redeemed
          FROM hold h LEFT JOIN ledger_transaction t ON t.related_transaction_id = h.id AND t.action = 'redeem'
          GROUP BY h.id HAVING h.status = 'OPEN' AND GREATEST(h.original_amount_minor - COALESCE(SUM(t.amount_minor), 0), 0) <> h.amount_minor`,
    describe: (r) => ({
      holdId: r.id,
      cardNumber: r.card_number,
      detail: `held ${r.original_amount_minor}, redeemed ${r.redeemed}, ${r.amount_minor} left (${r.status})`,
    }),
  },
  {
    problem: 'negative-amount',
    sql: `SELECT id, card_number, 'transaction' AS kind, amount_minor FROM ledger_transaction WHERE amount_minor < 0
          UNION ALL SELECT id, card_number, 'hold', amount_minor FROM hold WHERE amount_minor < 0 OR original_amount_minor < 0`,
    describe: (r) => ({ transactionId: r.id, cardNumber: r.card_number, detail: `${r.kind} amount ${r.amount_minor} is negative` }),
  },
  {
    problem: 'void-mismatch',
    sql: `SELECT t.id, t.card_number, t.voided, COUNT(v.id) AS voids
          FROM ledger_transaction t LEFT JOIN ledger_transaction v ON v.related_transaction_id = t.id AND v.action = 'void'
          GROUP BY t.id, t.card_number, t.voided HAVING (t.voided AND COUNT(v.id) <> 1) OR (NOT t.voided AND COUNT(v.id) > 0)`,
    describe: (r) => ({ transactionId: r.id, cardNumber: r.card_number, detail: `voided=${r.voided} with ${r.voids} void rows` }),
  },
];

export async function checkLedger(dataSource: DataSource): Promise<{ ok: boolean; problems: LedgerProblem[] }> {
  const problems: LedgerProblem[] = [];
  await dataSource.transaction('REPEATABLE READ', async (manager) => {
    for (const check of CHECKS) {
      const rows: Array<Record<string, string>> = await manager.query(check.sql);
      problems.push(...rows.map((row) => ({ problem: check.problem, ...check.describe(row) })));
    }
  });
  return { ok: problems.length === 0, problems };
}
