import 'reflect-metadata';
import { exitOnConfigError } from '@gcpa/config';
import { createSandboxApp } from './bootstrap';

async function main() {
  const { app, config } = await createSandboxApp().catch(exitOnConfigError);
  await app.listen(config.SANDBOX_PORT, config.HOST);
  process.stdout.write(`clutch-sandbox listening on ${await app.getUrl()}\n`);
}

main().catch((error) => {
  process.stderr.write(`clutch-sandbox failed to start: ${error?.stack ?? error}\n`);
  process.exit(1);
});
