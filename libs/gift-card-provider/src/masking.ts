/**
 * Card data must never reach a log line. These helpers are shared by every provider client and by the
 * adapter's own logging: card numbers become `****1234`, PINs and credentials become `****`.
 */

const MASK = '****';

/** `6006491234567890` -> `****7890`. Short or empty input is masked completely. */
export function maskCardNumber(cardNumber: string | undefined | null): string {
  if (!cardNumber) return MASK;
  const compact = String(cardNumber).replace(/[\s-]/g, '');
  return compact.length > 4 ? `${MASK}${compact.slice(-4)}` : MASK;
}

// Field names whose whole value is secret, in JSON (`"pin":"1234"`), query/form (`pin=1234`) or prose (`pin: 1234`).
const SECRET_FIELD = /(["']?)\b(pin|cvv|cvc|password|apiSecret|secret|authorization)\1(\s*[:=]\s*)("[^"]*"|'[^']*'|(?:Basic|Bearer)\s+\S+|[^\s,;&}"']+)/gi;
// Field names holding a card number: keep the last four digits.
const CARD_FIELD = /(["']?)\b(cardNumber|card_number|pan)\1(\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,;&}"']+)/gi;
// A run of 12 to 19 digits, optionally grouped by spaces or dashes, is treated as a card number, also when it
// is glued to letters or `_` (`ORD_6000000000000001`, `card6000000000000001`): only a digit may not border it.
const DIGIT_RUN = /(?<!\d)\d(?:[ -]?\d){11,18}(?!\d)/g;

/**
 * Masks anything in free text that may be a card number, a PIN or a credential: provider error messages,
 * response bodies, error strings. Meant for text we did not write ourselves and are about to log.
 */
export function maskSensitiveText(text: string | undefined | null): string {
  if (text === undefined || text === null) return '';
  return String(text)
    .replace(SECRET_FIELD, (_m, quote: string, name: string, sep: string, value: string) => {
      const q = value.startsWith('"') ? '"' : value.startsWith("'") ? "'" : '';
      return `${quote}${name}${quote}${sep}${q}${MASK}${q}`;
    })
    .replace(CARD_FIELD, (_m, quote: string, name: string, sep: string, value: string) => {
      const q = value.startsWith('"') ? '"' : value.startsWith("'") ? "'" : '';
      const bare = q ? value.slice(1, -1) : value;
      return `${quote}${name}${quote}${sep}${q}${maskCardNumber(bare)}${q}`;
    })
    .replace(DIGIT_RUN, (digits) => maskCardNumber(digits));
}
