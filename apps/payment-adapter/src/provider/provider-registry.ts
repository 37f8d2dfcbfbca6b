import { createClutchProvider } from './clutch/clutch-provider.factory';
import { GiftCardProviderFactory } from './provider-factory';

/**
 * Every stored-value provider the adapter can talk to, by its `PAYMENT_PROVIDER` name.
 * Adding one: a folder beside `clutch/` with its factory, and one line here.
 */
export const GIFT_CARD_PROVIDER_FACTORIES: Readonly<Record<string, GiftCardProviderFactory>> = {
  clutch: createClutchProvider,
};
