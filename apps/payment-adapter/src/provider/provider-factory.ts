import { GiftCardProvider } from '@gcpa/gift-card-provider';
import { AdapterConfig } from '../config/adapter.config';

/** Builds one provider implementation from the adapter's configuration. */
export type GiftCardProviderFactory = (config: AdapterConfig) => GiftCardProvider;
