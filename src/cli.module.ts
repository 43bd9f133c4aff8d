import { DynamicModule, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { LedgerConfig } from './config/ledger-config';
import { LedgerModule } from './modules/ledger.module';
import { AnalyticsModule } from './modules/analytics.module';
import { CustomersModule } from './modules/customers.module';
import { GdprModule } from './modules/gdpr.module';
import { PredictionsModule } from './modules/predictions.module';
import { StaffAuthModule } from './modules/staff-auth.module';
import { SubscriptionsModule } from './modules/subscriptions.module';

/**
 * The composition root of the CLI: the same ledger and the features its commands use, without HTTP (no
 * controllers, guards or interceptors) and without the tracking API.
 */
@Module({})
export class CliModule {
  static forRoot(config: LedgerConfig, logger: Logger): DynamicModule {
    return {
      module: CliModule,
      imports: [
        LedgerModule.forRoot(config, logger),
        CustomersModule,
        AnalyticsModule,
        PredictionsModule,
        GdprModule,
        SubscriptionsModule,
        StaffAuthModule,
      ],
    };
  }
}
