/** Every TypeORM entity of the sandbox ledger. */
export const sandboxEntities: Function[] = [];
