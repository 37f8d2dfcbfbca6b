import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { validationFailed } from './domain-errors';

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
  override transform(value: unknown, metadata: ArgumentMetadata) {
    if (metadata.type === 'body' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      value = Object.fromEntries(Object.entries(value).filter(([, field]) => field !== null));
    }
    return super.transform(value, metadata);
  }
}

/** DTO validation: unknown fields refused, every bad field named, nothing converted implicitly. */
export const validationPipe = () =>
  new BodyValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    exceptionFactory: (errors) => validationFailed(flatten(errors)),
  });
