import 'reflect-metadata';
import { createApp } from './app.factory';
import { loadConfigOrExit, startupWarnings } from './config/ledger-config';
import { createLogger } from './config/logger';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel);
  for (const warning of startupWarnings(config)) logger.warn(warning);
  const app = await createApp(config, logger);
  await app.listen(config.port, config.host);
  // An IPv6 address needs brackets in a URL; 0.0.0.0 and :: mean every interface, so the URL is a pattern.
  const origin = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
  logger.info(
    {
      url: origin,
      docs: `${origin}/docs`,
      dataDir: config.dataDir,
      authentication: config.apiKeys.length > 0 ? `${config.apiKeys.length} API keys` : 'none (open)',
    },
    'ledger listening',
  );
}

void main();
