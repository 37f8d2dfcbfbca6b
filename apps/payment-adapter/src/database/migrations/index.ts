import { Initial1763900000000 } from './1763900000000-initial';

/** Every migration of the adapter's schema, in order. Applied automatically at start. */
export const adapterMigrations = [Initial1763900000000];
