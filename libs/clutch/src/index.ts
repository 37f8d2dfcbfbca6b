export * from './protocol';
export * from './errors';
export * from './client';
