import { QueryFailedError } from 'typeorm';

/** A unique violation (PostgreSQL 23505), as TypeORM reports it from `pg` and from the embedded database. */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof QueryFailedError && (error as { driverError?: { code?: string } }).driverError?.code === '23505';
}
