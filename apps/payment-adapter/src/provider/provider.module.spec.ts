import { ClutchGiftCardProvider, ClutchTransportMessages } from '@gcpa/clutch';
import { loadConfig } from '@gcpa/config';
import { GIFT_CARD_PROVIDER } from '@gcpa/gift-card-provider';
import { Global, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { AdapterConfig } from '../config/adapter.config';
import { ProviderHealthIndicator } from './provider.health-indicator';
import { ProviderModule, createGiftCardProvider } from './provider.module';

/** A Clutch stand-in answering every call with one fixed reply, recording the headers it saw. */
async function fixedClutch(status: number, body: object) {
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    req.resume().on('end', () => res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/merchant/`;
  return { url, seen, close: () => (server.closeAllConnections(), new Promise((resolve) => server.close(resolve))) };
}

async function moduleWith(env: Record<string, string>) {
  const config = loadConfig(AdapterConfig, env);
  @Global()
  @Module({ providers: [{ provide: AdapterConfig, useValue: config }], exports: [AdapterConfig] })
  class ConfigStub {}
  const moduleRef = await Test.createTestingModule({ imports: [ConfigStub, ProviderModule] }).compile();
  await moduleRef.init();
  return moduleRef;
}

describe('ProviderModule', () => {
  it('provides the Clutch client configured from CLUTCH_* and closes it on shutdown', async () => {
    // The health probe searches a card no account holds: Clutch answers a success with no cards.
    const clutch = await fixedClutch(200, { success: true, cards: [], usedCache: false, requestRef: 'r' });
    const moduleRef = await moduleWith({
      PAYMENT_PROVIDER: 'clutch',
      CLUTCH_BASE_URL: clutch.url,
      CLUTCH_API_KEY: 'k',
      CLUTCH_API_SECRET: 's',
      CLUTCH_BRAND: 'b',
      CLUTCH_LOCATION: 'l',
      CLUTCH_TERMINAL: 't',
    });
    const provider = moduleRef.get(GIFT_CARD_PROVIDER);
    expect(provider).toBeInstanceOf(ClutchGiftCardProvider);

    const health = await moduleRef.get(ProviderHealthIndicator).isHealthy('provider');
    expect(health).toEqual({ provider: { status: 'up', provider: 'clutch', circuit: 'closed' } });
    expect(clutch.seen[0]).toMatchObject({ authorization: `Basic ${Buffer.from('k:s').toString('base64')}`, brand: 'b', location: 'l', terminal: 't' });

    const close = jest.spyOn(provider as ClutchGiftCardProvider, 'close');
    await moduleRef.close();
    expect(close).toHaveBeenCalled();
    await clutch.close();
  });

  it('reports the provider down, naming refused credentials', async () => {
    const clutch = await fixedClutch(401, { success: false, errorMessage: ClutchTransportMessages.unauthorized });
    const moduleRef = await moduleWith({ CLUTCH_BASE_URL: clutch.url });
    const health = await moduleRef.get(ProviderHealthIndicator).isHealthy('provider');
    expect(health.provider.status).toBe('down');
    expect(health.provider.message).toMatch(/^INVALID_REQUEST: .*credentials/);
    await moduleRef.close();
    await clutch.close();
  });

  it('reports the provider down when it cannot be reached', async () => {
    const clutch = await fixedClutch(200, {});
    await clutch.close();
    const moduleRef = await moduleWith({ CLUTCH_BASE_URL: clutch.url });
    const health = await moduleRef.get(ProviderHealthIndicator).isHealthy('provider');
    expect(health.provider).toMatchObject({ status: 'down', message: expect.stringMatching(/^UNAVAILABLE: .*ECONNREFUSED/) });
    await moduleRef.close();
  });

  it('refuses a CLUTCH_ERROR_CODES entry with a meaning it does not know, and takes a good one', () => {
    expect(() => loadConfig(AdapterConfig, { CLUTCH_ERROR_CODES: '51=NOT_A_REASON' })).toThrow(/CLUTCH_ERROR_CODES/);
    expect(() => loadConfig(AdapterConfig, { CLUTCH_ERROR_CODES: 'fifty' })).toThrow(/CLUTCH_ERROR_CODES/);
    expect(loadConfig(AdapterConfig, { CLUTCH_ERROR_CODES: '51=INSUFFICIENT_FUNDS, 52=HOLD_NOT_AVAILABLE' }).CLUTCH_ERROR_CODES).toContain('51=');
  });

  it('refuses a provider name without an implementation', () => {
    const config = Object.assign(new AdapterConfig(), { PAYMENT_PROVIDER: 'givex' });
    expect(() => createGiftCardProvider(config)).toThrow('PAYMENT_PROVIDER=givex has no implementation (known: clutch)');
  });
});
