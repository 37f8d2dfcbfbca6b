import { loadConfig } from '@gcpa/config';
import { AdapterConfig } from '../config/adapter.config';
import { WebhookSettings } from './webhook.settings';

const SECRET = `whsec_${Buffer.from('a-webhook-secret-of-32-bytes-ok!').toString('base64')}`;
const settings = (env: Record<string, string>) => WebhookSettings.from(loadConfig(AdapterConfig, env));

describe('webhook settings', () => {
  it('are off without WEBHOOK_URL', () => {
    expect(settings({}).enabled).toBe(false);
  });

  it('are on with a URL and a whsec_ secret, with 24 hours of retries by default', () => {
    const s = settings({ WEBHOOK_URL: 'https://oms.example/webhooks', WEBHOOK_SECRET: SECRET });
    expect(s).toMatchObject({ enabled: true, url: 'https://oms.example/webhooks', timeoutMs: 10000, leaseSeconds: 60, retryForMs: 86400_000 });
  });

  it('refuse a URL without a secret, a secret not in the whsec_ form (without echoing it), and a lease shorter than the timeout', () => {
    expect(() => settings({ WEBHOOK_URL: 'https://oms.example/webhooks' })).toThrow(/WEBHOOK_SECRET: required when WEBHOOK_URL is set/);
    expect(() => settings({ WEBHOOK_URL: 'https://oms.example/webhooks', WEBHOOK_SECRET: 'plain-secret-value' })).toThrow(/WEBHOOK_SECRET: must be whsec_/);
    expect(() => settings({ WEBHOOK_SECRET: 'plain-secret-value' })).not.toThrow(/plain-secret-value/);
    expect(() => settings({ WEBHOOK_URL: 'https://oms.example/webhooks', WEBHOOK_SECRET: SECRET, WEBHOOK_TIMEOUT_MS: '5000', WEBHOOK_LEASE_SECONDS: '5' })).toThrow(
      /WEBHOOK_LEASE_SECONDS: must be longer than WEBHOOK_TIMEOUT_MS/,
    );
    expect(() => settings({ WEBHOOK_URL: 'ftp://oms.example/', WEBHOOK_SECRET: SECRET })).toThrow(/WEBHOOK_URL: must be an http\(s\) URL/);
  });
});
