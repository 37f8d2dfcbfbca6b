import { currencyScale, isCurrency, parseAmount } from '@gcpa/money';
import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';

/** An ISO 4217 code such as `USD`. */
export function IsCurrencyCode(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isCurrencyCode',
      target: target.constructor,
      propertyName,
      options: { message: `${propertyName} must be an ISO 4217 currency code like "USD"`, ...options },
      validator: { validate: (value: unknown) => isCurrency(value) },
    });
}

/**
 * A decimal string in major units whose scale matches the currency named by `currencyField`
 * (`"25.50"` for USD, `"1000"` for JPY). Without a currency field, any plain decimal string passes here and
 * the service checks the scale against the authorization's currency.
 */
export function IsAmount(options: { currencyField?: string; allowZero?: boolean } = {}, validation?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isAmount',
      target: target.constructor,
      propertyName,
      options: validation,
      validator: {
        validate(value: unknown, args: ValidationArguments) {
          if (typeof value !== 'string' || !/^\d{1,15}(\.\d{1,4})?$/.test(value)) return false;
          const currency = options.currencyField ? (args.object as Record<string, unknown>)[options.currencyField] : undefined;
          if (isCurrency(currency)) {
            try {
              const parsed = parseAmount(value, currency);
              return options.allowZero ? parsed.minor >= 0n : parsed.minor > 0n;
            } catch {
              return false;
            }
          }
          return options.allowZero || /[1-9]/.test(value);
        },
        defaultMessage(args: ValidationArguments) {
          const currency = options.currencyField ? (args.object as Record<string, unknown>)[options.currencyField] : undefined;
          if (typeof args.value === 'number') {
            return `${propertyName} must be a JSON string, not a number (floats lose cents): send a string like "${asAmountString(args.value, currency)}"`;
          }
          const scale = isCurrency(currency) ? ` with the scale of ${currency}` : '';
          const sign = options.allowZero ? 'zero or more' : 'greater than zero';
          return `${propertyName} must be a decimal string${scale}, ${sign}, like "25.50"`;
        },
      },
    });
}

/** How a number an integrator sent should have been written: `60` for USD is `"60.00"`. */
function asAmountString(value: number, currency: unknown): string {
  const scale = isCurrency(currency) ? currencyScale(currency) : 2;
  return Number.isFinite(value) && value >= 0 && value < 1e15 ? value.toFixed(scale) : '60.00';
}
