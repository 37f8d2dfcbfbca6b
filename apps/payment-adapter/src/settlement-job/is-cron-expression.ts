import { ValidateBy } from 'class-validator';
import { validateCronExpression } from 'cron';

/** A cron expression the `cron` package accepts: 5 fields, or 6 with seconds first (`*\/30 * * * * *`). */
export const IsCronExpression = () =>
  ValidateBy({
    name: 'isCronExpression',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && validateCronExpression(value).valid,
      defaultMessage: () => "must be a cron expression, e.g. '0 * * * * *' (every minute) or '*/30 * * * * *'",
    },
  });
