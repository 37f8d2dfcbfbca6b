import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { DomainError, validationFailed } from './domain-errors';

const PIN_POLICY_APPLIES = Symbol('pin-policy');

/**
 * Marks a request body whose cards are spent or probed (a hold, a balance check): under `PIN_POLICY=required`,
 * every card in it (`cardNumber`, and each of `cards[]`) needs its `pin`. Only OMS requests pass the pipe, so the
 * adapter's own advanced holds and re-authorizations are not concerned.
 */
export const PinPolicyApplies = (): ClassDecorator => (target) => Reflect.defineMetadata(PIN_POLICY_APPLIES, true, target);

/** The `pin` fields a body lacks under PIN_POLICY=required: `pin`, `cards.1.pin`. */
export function missingPins(body: unknown): Array<{ field: string; problems: string[] }> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return [];
  const record = body as Record<string, unknown>;
  const missing = (item: Record<string, unknown>, field: string) =>
    item.cardNumber !== undefined && (item.pin === undefined || item.pin === '')
      ? [{ field, problems: [`${field} is required: this service requires the card's PIN (PIN_POLICY=required)`] }]
      : [];
  const cards = Array.isArray(record.cards) ? record.cards : [];
  return [
    ...missing(record, 'pin'),
    ...cards.flatMap((card, index) => (card && typeof card === 'object' ? missing(card as Record<string, unknown>, `cards.${index}.pin`) : [])),
  ];
}

function flatten(errors: ValidationError[], prefix = ''): Array<{ field: string; problems: string[] }> {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, problems: Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/**
 * A body field sent as null is a field not sent. class-validator's @IsOptional() lets null through, so without
 * this an optional field given as null reached the services as a value (a refund with `settlementId: null`,
 * a balance inquiry with `requestedAmount: null` were 500s); a required field given as null stays a 400.
 */
class BodyValidationPipe extends ValidationPipe {
  constructor(
    options: ConstructorParameters<typeof ValidationPipe>[0],
    private readonly pinRequired: boolean,
  ) {
    super(options);
  }

  override async transform(value: unknown, metadata: ArgumentMetadata) {
    if (metadata.type === 'body' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      value = Object.fromEntries(Object.entries(value).filter(([, field]) => field !== null));
    }
    const pins = this.pinRequired && metadata.type === 'body' && metadata.metatype && Reflect.getMetadata(PIN_POLICY_APPLIES, metadata.metatype) ? missingPins(value) : [];
    let transformed: unknown;
    try {
      transformed = await super.transform(value, metadata);
    } catch (error) {
      // One 400 names every bad field: a missing PIN joins the others.
      const fields = error instanceof DomainError ? (error.details?.fields as Array<{ field: string; problems: string[] }> | undefined) : undefined;
      if (pins.length > 0 && fields) throw validationFailed([...fields.filter((f) => !pins.some((p) => p.field === f.field)), ...pins]);
      throw error;
    }
    if (pins.length > 0) throw validationFailed(pins);
    return transformed;
  }
}

/**
 * DTO validation: unknown fields refused, every bad field named, nothing converted implicitly. With `pinRequired`
 * (PIN_POLICY=required), bodies marked `@PinPolicyApplies()` need a PIN for every card they name.
 */
export const validationPipe = (options: { pinRequired?: boolean } = {}) =>
  new BodyValidationPipe(
    {
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      transformOptions: { enableImplicitConversion: false },
      exceptionFactory: (errors) => validationFailed(flatten(errors)),
    },
    options.pinRequired ?? false,
  );
