import { Initial1763900000001 } from './1763900000001-initial';

/** Every migration of the sandbox ledger, in order. Applied automatically at start. */
export const sandboxMigrations = [Initial1763900000001];
