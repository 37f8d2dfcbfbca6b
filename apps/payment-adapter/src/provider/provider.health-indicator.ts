import { GIFT_CARD_PROVIDER, ProviderError, maskSensitiveText } from '@gcpa/gift-card-provider';
import type { GiftCardProvider } from '@gcpa/gift-card-provider';
import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';

/**
 * Up when the configured provider answers an authenticated call (`checkHealth`) and the circuit breaker is not
 * open. Down names why: unreachable, refused credentials, or the circuit breaker failing fast (an open circuit
 * is down even when the health call itself got through, so `/health` never says `circuit: open` with `up`).
 */
@Injectable()
export class ProviderHealthIndicator {
  constructor(
    @Inject(GIFT_CARD_PROVIDER) private readonly provider: GiftCardProvider,
    private readonly indicators: HealthIndicatorService,
  ) {}

  async isHealthy<const Key extends string>(key: Key): Promise<HealthIndicatorResult<Key>> {
    const session = this.indicators.check(key);
    try {
      await this.provider.checkHealth();
      // The circuit's state is read after the call (the call itself may have closed a half-open circuit; read
      // before it, the page said `circuit: open` with `up`). Open is down whatever the health call said:
      // every payment call fails fast meanwhile.
      const circuit = circuitStateOf(this.provider);
      if (circuit.circuit === 'open') {
        return session.down({ provider: this.provider.name, message: 'circuit breaker open: payment calls fail fast until the provider recovers', ...circuit });
      }
      return session.up({ provider: this.provider.name, ...circuit });
    } catch (error) {
      const message = error instanceof ProviderError ? `${error.kind}: ${error.message}` : 'health check failed';
      return session.down({ provider: this.provider.name, message: maskSensitiveText(message), ...circuitStateOf(this.provider) });
    }
  }
}

/** Providers with a circuit breaker expose its state; it is worth seeing on the health page. */
function circuitStateOf(provider: GiftCardProvider): { circuit?: string } {
  const state = (provider as { circuitState?: unknown }).circuitState;
  return typeof state === 'string' ? { circuit: state } : {};
}
