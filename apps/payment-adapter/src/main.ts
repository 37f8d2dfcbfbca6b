import 'reflect-metadata';
import { exitOnConfigError } from '@gcpa/config';
import { createAdapterApp, listen } from './bootstrap';

async function main() {
  const { app, config } = await createAdapterApp().catch(exitOnConfigError);
  const url = await listen(app, config);
  process.stdout.write(`payment-adapter listening on ${url} (provider ${config.clutchBaseUrl})\n`);

  // Graceful stop: stop accepting, finish the requests in flight, release job leases and provider
  // connections (Nest's shutdown hooks), then exit 0. A second signal exits at once.
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) process.exit(1);
      stopping = true;
      app.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}

main().catch((error) => {
  process.stderr.write(`payment-adapter failed to start: ${error?.stack ?? error}\n`);
  process.exit(1);
});
