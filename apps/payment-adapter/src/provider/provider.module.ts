import { UnitsOfWork } from '@gcpa/database';
import { GIFT_CARD_PROVIDER } from '@gcpa/gift-card-provider';
import type { GiftCardProvider } from '@gcpa/gift-card-provider';
import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AdapterConfig } from '../config/adapter.config';
import { GIFT_CARD_PROVIDER_FACTORIES } from './provider-registry';
import { ProviderHealthIndicator } from './provider.health-indicator';

/** The provider named by `PAYMENT_PROVIDER`; the rest of the adapter only sees `GiftCardProvider`. */
export function createGiftCardProvider(config: AdapterConfig): GiftCardProvider {
  const factory = Object.hasOwn(GIFT_CARD_PROVIDER_FACTORIES, config.PAYMENT_PROVIDER)
    ? GIFT_CARD_PROVIDER_FACTORIES[config.PAYMENT_PROVIDER]
    : undefined;
  if (!factory) {
    const known = Object.keys(GIFT_CARD_PROVIDER_FACTORIES).join(', ');
    throw new Error(`PAYMENT_PROVIDER=${config.PAYMENT_PROVIDER} has no implementation (known: ${known})`);
  }
  return flushedBeforeEachCall(factory(config));
}

/**
 * Every call to the provider first commits the unit of work's open writes (an intent is durable before its call
 * goes out, and no row stays locked while the provider answers).
 */
const PROVIDER_CALLS: ReadonlySet<PropertyKey> = new Set<keyof GiftCardProvider>([
  'balance', 'hold', 'redeemFromHold', 'releaseHold', 'redeem', 'issue', 'allocate', 'activate', 'void', 'resolveLostCall', 'cardActivity',
]);

function flushedBeforeEachCall(provider: GiftCardProvider): GiftCardProvider {
  return new Proxy(provider, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || !PROVIDER_CALLS.has(property)) return value;
      return async (...args: unknown[]) => {
        await UnitsOfWork.flush();
        return value.apply(target, args);
      };
    },
  });
}

/**
 * Provides `GIFT_CARD_PROVIDER` (global: services inject it without importing this module) and the
 * provider's health indicator. Needs `AdapterConfig` from the application's config module.
 */
@Global()
@Module({
  imports: [TerminusModule],
  providers: [
    { provide: GIFT_CARD_PROVIDER, inject: [AdapterConfig], useFactory: createGiftCardProvider },
    ProviderHealthIndicator,
  ],
  exports: [GIFT_CARD_PROVIDER, ProviderHealthIndicator],
})
export class ProviderModule implements OnApplicationShutdown {
  constructor(@Inject(GIFT_CARD_PROVIDER) private readonly provider: GiftCardProvider) {}

  /** Closes the provider's keep-alive connections so that the process can exit. */
  async onApplicationShutdown(): Promise<void> {
    await this.provider.close?.();
  }
}
