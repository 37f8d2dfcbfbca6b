import type { GiftCardProvider } from '@gcpa/gift-card-provider';
import { ProviderUnavailableError } from '@gcpa/gift-card-provider';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ProviderHealthIndicator } from './provider.health-indicator';

/** A provider whose circuit moves as a real breaker's does when a call goes through it. */
function providerWith(before: string, after: string, fails = false) {
  const provider = {
    name: 'clutch',
    circuitState: before,
    async checkHealth() {
      provider.circuitState = after;
      if (fails) throw new ProviderUnavailableError('circuit open');
    },
  };
  return provider as unknown as GiftCardProvider;
}

const check = (provider: GiftCardProvider) => new ProviderHealthIndicator(provider, new HealthIndicatorService()).isHealthy('provider');

describe('ProviderHealthIndicator and the circuit breaker', () => {
  it('reports the circuit as it is after the check: a half-open circuit the check closed is up and closed', async () => {
    expect(await check(providerWith('open', 'closed'))).toEqual({ provider: { status: 'up', provider: 'clutch', circuit: 'closed' } });
  });

  it('is down while the circuit is open, never "up" with "circuit: open"', async () => {
    const health = await check(providerWith('open', 'open'));
    expect(health.provider).toMatchObject({ status: 'down', circuit: 'open' });
    const failing = await check(providerWith('open', 'open', true));
    expect(failing.provider).toMatchObject({ status: 'down', circuit: 'open' });
  });
});
