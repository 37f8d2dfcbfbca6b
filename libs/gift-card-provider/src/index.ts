export * from './gift-card-provider';
export * from './provider-errors';
export * from './masking';
export * from './provider-logger';
