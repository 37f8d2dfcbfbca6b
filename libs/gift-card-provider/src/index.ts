export * from './gift-card-provider';
export * from './provider-errors';
