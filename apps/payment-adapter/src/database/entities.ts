/** Every TypeORM entity of the adapter; each resource folder adds its own here. */
export const adapterEntities: Function[] = [];
