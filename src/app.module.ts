import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { Logger } from 'pino';
import { LedgerConfig } from './config/ledger-config';
import { LEDGER_LOGGER } from './config/logger';
import { OffThreadQueries } from './interfaces/workers/off-thread-queries';
import { LedgerModule } from './modules/ledger.module';
import { AnalyticsModule } from './modules/analytics.module';
import { CustomersModule } from './modules/customers.module';
import { GdprModule } from './modules/gdpr.module';
import { PredictionsModule } from './modules/predictions.module';
import { StaffAuthModule } from './modules/staff-auth.module';
import { SubscriptionsModule } from './modules/subscriptions.module';
import { TrackingModule } from './modules/tracking.module';
import { AccessLogInterceptor } from './interfaces/http/access-log.interceptor';
import { AnalyticsController } from './interfaces/http/analytics.controller';
import { ApiKeyGuard, AUTHENTICATION_LOGGER } from './interfaces/http/api-key.guard';
import { StaffSessionResolver } from './interfaces/http/auth/staff-session.resolver';
import { ConsistentReadGuard } from './interfaces/http/consistent-read.guard';
import { CustomersController } from './interfaces/http/customers.controller';
import { GdprController } from './interfaces/http/gdpr.controller';
import { HealthController } from './interfaces/http/health.controller';
import { LocalAccountsController } from './interfaces/http/local-accounts.controller';
import { MetricsController } from './interfaces/http/metrics.controller';
import { PredictionsController } from './interfaces/http/predictions.controller';
import { ProjectionsController } from './interfaces/http/projections.controller';
import { SegmentAnalyticsController } from './interfaces/http/segment-analytics.controller';
import { StaffActivityController } from './interfaces/http/staff-activity.controller';
import { StaffAuthController } from './interfaces/http/staff-auth.controller';
import { SubscriptionsController } from './interfaces/http/subscriptions.controller';
import { TouchpointsController } from './interfaces/http/touchpoints.controller';
import { TrackingController } from './interfaces/http/tracking/tracking.controller';
import { ChartLibraryController } from './interfaces/web/chart-library.controller';
import { CustomerLiveController } from './interfaces/web/customer-live.controller';
import { WebPageController } from './interfaces/web/web-page.controller';

/**
 * The composition root of the HTTP service: the ledger (stores, privacy, read side), every feature's use cases,
 * and the HTTP interface over them: the controllers, the API-key and read-your-writes guards and the access log.
 * The CLI composes the same features without HTTP (CliModule).
 */
@Module({})
export class AppModule {
  static forRoot(config: LedgerConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LedgerModule.forRoot(config, logger),
        CustomersModule,
        TrackingModule,
        AnalyticsModule,
        PredictionsModule,
        GdprModule,
        SubscriptionsModule,
        StaffAuthModule,
      ],
      controllers: [
        CustomersController,
        TouchpointsController,
        AnalyticsController,
        SegmentAnalyticsController,
        PredictionsController,
        ProjectionsController,
        GdprController,
        HealthController,
        MetricsController,
        CustomerLiveController,
        WebPageController,
        ChartLibraryController,
        SubscriptionsController,
        TrackingController,
        StaffAuthController,
        StaffActivityController,
        LocalAccountsController,
      ],
      providers: [
        { provide: AUTHENTICATION_LOGGER, useExisting: LEDGER_LOGGER },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        StaffSessionResolver,
        { provide: APP_GUARD, useClass: ConsistentReadGuard },
        AccessLogInterceptor,
        OffThreadQueries,
      ],
    };
  }
}
