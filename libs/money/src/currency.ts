import { data as iso4217 } from 'currency-codes';

/**
 * ISO 4217 codes whose minor unit is "N.A." (precious metals, fund and testing codes): no gift card holds them,
 * and the table gives them no scale (`currency-codes` reports 0), so they are refused rather than guessed.
 */
const NO_MINOR_UNIT = new Set(['XAG', 'XAU', 'XBA', 'XBB', 'XBC', 'XBD', 'XDR', 'XPD', 'XPT', 'XSU', 'XTS', 'XUA', 'XXX']);

/** Amendments of ISO 4217 published after the table in `currency-codes` (kept here until it carries them). */
const AMENDMENTS: Record<string, number> = {
  XCG: 2, // Caribbean guilder, amendment 176 (2025)
};

/**
 * Minor-unit digits per currency, from the ISO 4217 table pinned with the `currency-codes` package (the lock file
 * fixes its version), not from the runtime's ICU data: on Node 20's ICU, HUF, IDR, PKR, COP, LBP and IQD come out 0.
 */
const SCALES: ReadonlyMap<string, number> = new Map([
  ...iso4217.filter((entry) => !NO_MINOR_UNIT.has(entry.code)).map((entry) => [entry.code, entry.digits] as [string, number]),
  ...Object.entries(AMENDMENTS),
]);

/** True for an ISO 4217 code with a minor unit (e.g. `USD`, `JPY`, `KWD`). */
export function isCurrency(code: unknown): code is string {
  return typeof code === 'string' && /^[A-Z]{3}$/.test(code) && SCALES.has(code);
}

/** Number of minor-unit digits of a currency (2 for USD and HUF, 0 for JPY, 3 for KWD and IQD). */
export function currencyScale(currency: string): number {
  const scale = isCurrency(currency) ? SCALES.get(currency) : undefined;
  if (scale === undefined) throw new RangeError(`unknown currency ${JSON.stringify(currency)}`);
  return scale;
}
