export * from './data-source-options';
export * from './bigint.transformer';
export * from './pglite-pool';
export * from './database.module';
export * from './unit-of-work';
export * from './unique-violation';
