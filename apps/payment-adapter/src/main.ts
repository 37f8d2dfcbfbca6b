import 'reflect-metadata';
import { exitOnConfigError } from '@gcpa/config';
import { createAdapterApp, listen } from './bootstrap';

async function main() {
  const { app, config } = await createAdapterApp().catch(exitOnConfigError);
  const url = await listen(app, config);
  process.stdout.write(`payment-adapter listening on ${url} (provider ${config.clutchBaseUrl})\n`);
}

main().catch((error) => {
  process.stderr.write(`payment-adapter failed to start: ${error?.stack ?? error}\n`);
  process.exit(1);
});
