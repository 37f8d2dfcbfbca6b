import { Initial1763900000001 } from './1763900000001-initial';
import { WireFormat1764000000101 } from './1764000000101-wire-format';

/** Every migration of the sandbox ledger, in order. Applied automatically at start. */
export const sandboxMigrations = [Initial1763900000001, WireFormat1764000000101];
