const KNOWN_CURRENCIES = new Set(Intl.supportedValuesOf('currency'));
const scaleCache = new Map<string, number>();

/** True for an ISO 4217 code the platform's ICU data knows (e.g. `USD`, `JPY`, `KWD`). */
export function isCurrency(code: unknown): code is string {
  return typeof code === 'string' && /^[A-Z]{3}$/.test(code) && KNOWN_CURRENCIES.has(code);
}

/**
 * Number of minor-unit digits of a currency (2 for USD, 0 for JPY, 3 for KWD).
 * ICU carries the ISO 4217 minor units, so we read them from Intl instead of keeping our own table.
 */
export function currencyScale(currency: string): number {
  let scale = scaleCache.get(currency);
  if (scale === undefined) {
    if (!isCurrency(currency)) throw new RangeError(`unknown currency ${JSON.stringify(currency)}`);
    scale = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    scaleCache.set(currency, scale);
  }
  return scale;
}
