import { DynamicModule, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { ReadProfileHandler } from '../application/customers/read-profile/read-profile.query';
import { LedgerConfig } from '../config/ledger-config';
import { AnalyticsModule } from './analytics.module';
import { LedgerModule } from './ledger.module';
import { PredictionsModule } from './predictions.module';

/**
 * The composition root of a read worker (src/read-worker.ts): the ledger's stores and read side, folding
 * nothing and delivering nothing, and the handlers of the reads it answers (OFF_THREAD_QUERIES). No command
 * handler: a worker never records.
 */
@Module({})
export class ReadWorkerModule {
  static forRoot(config: LedgerConfig, logger: Logger): DynamicModule {
    return {
      module: ReadWorkerModule,
      imports: [
        LedgerModule.forRoot(
          { ...config, runProjections: false, deliverSubscriptions: false, keepDataKeys: false },
          logger,
        ),
        AnalyticsModule,
        PredictionsModule,
      ],
      providers: [ReadProfileHandler],
    };
  }
}
