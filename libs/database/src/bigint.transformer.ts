import { ValueTransformer } from 'typeorm';

/** Maps a Postgres `bigint` column (a string from the driver) to a JS bigint, for money in minor units. */
export const bigintColumn: ValueTransformer = {
  to: (value: bigint | null | undefined) => (value === null || value === undefined ? value : value.toString()),
  from: (value: string | null) => (value === null || value === undefined ? value : BigInt(value)),
};
