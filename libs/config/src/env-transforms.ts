import { Transform } from 'class-transformer';

/** `"3000"` -> 3000; anything not a plain integer stays a string so that validation names it. */
export const ToInt = () =>
  Transform(({ value }) => (typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value));

/** `"0.25"` -> 0.25 for rates and ratios in configuration (never for money). */
export const ToNumber = () =>
  Transform(({ value }) =>
    typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value,
  );

/** `"true"/"1"/"yes"` -> true, `"false"/"0"/"no"` -> false. */
export const ToBoolean = () =>
  Transform(({ value }) => {
    if (typeof value !== 'string') return value;
    const v = value.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(v)) return true;
    if (['false', '0', 'no', 'off'].includes(v)) return false;
    return value;
  });
