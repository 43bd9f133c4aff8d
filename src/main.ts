import 'reflect-metadata';
import { createApp } from './app.factory';
import { loadConfigOrExit } from './config/ledger-config';
import { createLogger } from './logging/logger';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel);
  if (config.masterKeyGenerated) {
    logger.warn(
      { file: `${config.dataDir}/master.key` },
      'LEDGER_MASTER_KEY is not set: using a generated master key stored beside the data. Fine for a demo; in production set LEDGER_MASTER_KEY from a secret store.',
    );
  }
  const app = await createApp(config, logger);
  // Without API keys the service is open, so it only listens on this machine.
  const host = '127.0.0.1';
  logger.warn(
    'no API keys are configured: the service runs OPEN (no authentication) and listens on localhost only',
  );
  await app.listen(config.port, host);
  logger.info(
    {
      url: `http://${host}:${config.port}`,
      docs: `http://${host}:${config.port}/docs`,
      dataDir: config.dataDir,
    },
    'ledger listening',
  );
}

void main();
