import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import pino from 'pino';
import { CliModule } from './cli.module';
import { loadConfigOrExit } from './config/ledger-config';
import { ledgerProgram } from './interfaces/cli/commands/ledger-program';
import { RunLedger } from './interfaces/cli/ledger-run';

/**
 * Boots the ledger without HTTP (CliModule: same ports, same adapters, same command path) for one command's
 * work, and closes it after.
 */
const runLedger: RunLedger = async (work, { fold, deliver = false } = {}) => {
  const configured = loadConfigOrExit();
  const config = {
    ...configured,
    runProjections: fold ?? configured.runProjections,
    deliverSubscriptions: deliver,
  };
  const logger = pino({ level: 'warn' }, pino.destination(2));
  // abortOnError: false: a store that cannot be opened (a damaged file) is thrown and told, not a silent exit.
  const app = await NestFactory.createApplicationContext(CliModule.forRoot(config, logger), {
    logger: false,
    abortOnError: false,
  });
  try {
    return await work(app);
  } finally {
    await app.close();
  }
};

ledgerProgram(runLedger)
  .parseAsync()
  .catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
