export * from './clutch-client-options';
export * from './clutch-failure-mapping';
export * from './clutch-amounts';
export { ClutchHttp, ClutchNetworkFailure } from './clutch-http';
export { ClutchGiftCardProvider, HEALTH_PROBE_CARD_NUMBER } from './clutch-gift-card-provider';
export type { ClutchCircuitState } from './clutch-gift-card-provider';
export * from './clutch-lost-answers';
