import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { QueryBus } from '@nestjs/cqrs';
import { parentPort, workerData } from 'node:worker_threads';
import { PROJECTION_ENGINE, ProjectionEngine } from './application/read-models/projection-engine';
import { LedgerConfig } from './config/ledger-config';
import { createLogger, PinoNestLogger } from './config/logger';
import {
  cloneError,
  QueryMessage,
  revivedQuery,
  WorkerMessage,
} from './interfaces/workers/off-thread-queries';
import { ReadWorkerModule } from './modules/read-worker.module';

/** The configuration as it crossed into this thread: the keys arrive as plain byte arrays. */
function revivedConfig(config: LedgerConfig): LedgerConfig {
  return {
    ...config,
    masterKey: Buffer.from(config.masterKey),
    previousMasterKeys: config.previousMasterKeys.map((key) => Buffer.from(key)),
  };
}

/** A read worker (OffThreadQueries): answers the queries the main thread sends, one message each. */
async function main(): Promise<void> {
  const config = revivedConfig((workerData as { config: LedgerConfig }).config);
  const logger = createLogger(config.logLevel).child({ thread: 'read-worker' });
  const app = await NestFactory.createApplicationContext(ReadWorkerModule.forRoot(config, logger), {
    logger: new PinoNestLogger(logger),
  });
  const engine = app.get<ProjectionEngine>(PROJECTION_ENGINE);
  const queries = app.get(QueryBus);
  const reply = (message: WorkerMessage) => parentPort!.postMessage(message);
  parentPort!.on('message', (message: QueryMessage) => {
    void (async () => {
      try {
        engine.followGenerations(message.generations);
        reply({ id: message.id, result: await queries.execute(revivedQuery(message)) });
      } catch (error) {
        reply({ id: message.id, error: cloneError(error) });
      }
    })();
  });
  reply({ ready: true });
}

void main();
