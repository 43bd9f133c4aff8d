import { DynamicModule, Inject, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { PROJECTIONS } from '../projections/catalog';
import { AnalyticsController } from './interfaces/http/analytics.controller';
import {
  ReadFunnelReportHandler,
  ReadLoyaltyDistributionHandler,
  ReadPseudonymousLoyaltyHandler,
} from './application/analytics/analytics.queries';
import { Pseudonyms } from './privacy/pseudonyms';
import { SegmentAnalyticsController } from './interfaces/http/segment-analytics.controller';
import { PredictionsController } from './interfaces/http/predictions.controller';
import {
  CustomerBasePredictions,
  ReadPredictionBacktestHandler,
} from './application/predictions/customer-base-predictions';
import {
  ProductAssociations,
  ReadAssociationRulesHandler,
} from './application/predictions/product-associations';
import { PredictionModels } from './application/predictions/prediction-models';
import {
  CustomerOutlooks,
  ReadCustomerPredictionsHandler,
} from './application/predictions/customer-outlooks';
import {
  CustomerSegments,
  ReadCohortReportHandler,
  ReadComplaintReportHandler,
  ReadRfmReportHandler,
  ReadSatisfactionReportHandler,
  ReadSegmentMembersHandler,
  ReadSegmentTransitionsHandler,
} from './application/analytics/segments.queries';
import { ReadLoyaltyHandler } from './application/customers/read-loyalty/read-loyalty.query';
import { ReadProfileHandler } from './application/customers/read-profile/read-profile.query';
import { ReadTimelineHandler } from './application/customers/read-timeline/read-timeline.query';
import { PROJECTION_ENGINE, ProjectionEngine } from './application/read-models/projection-engine';
import { ProjectionsController } from './interfaces/http/projections.controller';
import { READ_STORE, ReadStore } from './ports/read-store.port';
import { ReadModels } from './application/read-models/read-models';
import { createSqliteReadStore } from './adapters/sqlite/sqlite-read-store';
import { APP_GUARD } from '@nestjs/core';
import { ConsistentReadGuard } from './interfaces/http/consistent-read.guard';
import { AccessLogInterceptor } from './interfaces/http/access-log.interceptor';
import { AccessLog } from './privacy/access-log';
import { EMAIL_INDEX_COLLECTION, EMAIL_INDEX_KEYS, EmailBlindIndex } from './privacy/blind-index';
import { EmailDirectory } from './privacy/email-directory';
import { EraseCustomerHandler } from './application/gdpr/erase-customer.command';
import { GdprController } from './interfaces/http/gdpr.controller';
import {
  ExportSubjectHandler,
  FindCustomersByEmailHandler,
  ResolvePseudonymHandler,
  ReadAuditTrailHandler,
  VerifyChainsHandler,
} from './application/gdpr/personal-data.queries';
import { CqrsModule } from '@nestjs/cqrs';
import { ApiKeyGuard, AUTHENTICATION_LOGGER } from './interfaces/http/api-key.guard';
import { StaffAuthController } from './interfaces/http/staff-auth.controller';
import { StaffSessionResolver } from './interfaces/http/auth/staff-session.resolver';
import { StaffSessions } from './application/staff-auth/staff-sessions';
import { OidcSignIn } from './application/staff-auth/oidc-sign-in';
import { LocalAccounts } from './application/staff-auth/local-accounts';
import { LocalAccountsController } from './interfaces/http/local-accounts.controller';
import { StaffActivityController } from './interfaces/http/staff-activity.controller';
import { ReadStaffActivityHandler } from './application/staff-auth/staff-activity.query';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { LEDGER_CONFIG, LedgerConfig } from './config/ledger-config';
import { ChangeContactDetailsHandler } from './application/customers/change-contact-details/change-contact-details.command';
import { CustomerLedger } from './application/customers/customer-ledger';
import { CustomersController } from './interfaces/http/customers.controller';
import { ReadCustomerEventsHandler } from './application/customers/read-customer-events/read-customer-events.query';
import { RecordConsentHandler } from './application/customers/record-consent/record-consent.command';
import { RecordTouchpointsHandler } from './application/customers/record-touchpoint/record-touchpoints.command';
import { RegisterCustomerHandler } from './application/customers/register-customer/register-customer.command';
import { MergeCustomersHandler } from './application/customers/merge-customers/merge-customers.command';
import { TouchpointsController } from './interfaces/http/touchpoints.controller';
import { TrackingController } from './interfaces/http/tracking/tracking.controller';
import { RecordTrackingMessagesHandler } from './application/tracking/record-tracking-messages.command';
import { EVENT_STORE, EventStore } from './ports/event-store.port';
import { withUpcasting } from './ports/upcasting-event-store';
import { createEventStoreDbEventStore } from './adapters/eventstoredb/eventstoredb-event-store';
import { createSqliteEventStore } from './adapters/sqlite/sqlite-event-store';
import { createMongoSubjectKeyStore } from './adapters/mongodb/mongodb-subject-key-store';
import { createMongoReadStore } from './adapters/mongodb/mongodb-read-store';
import { PiiCipher } from './privacy/pii-cipher';
import { createSqliteSubjectKeyStore } from './adapters/sqlite/sqlite-subject-key-store';
import { createPostgresEventStore } from './adapters/postgres/postgres-event-store';
import { createPostgresReadStore } from './adapters/postgres/postgres-read-store';
import { createPostgresSubjectKeyStore } from './adapters/postgres/postgres-subject-key-store';
import { SUBJECT_KEY_STORE, SubjectKeyStore } from './ports/subject-key-store.port';
import { HealthController } from './interfaces/http/health.controller';
import { LedgerMetrics, MetricsController } from './application/metrics';
import { CustomerLiveController } from './interfaces/web/customer-live.controller';
import { WebPageController } from './interfaces/web/web-page.controller';
import { ChartLibraryController } from './interfaces/web/chart-library.controller';
import { SubscriptionsController } from './interfaces/http/subscriptions.controller';
import { SubscriptionDeliveries } from './application/subscriptions/subscription-deliveries';
import { SubscriptionStore } from './application/subscriptions/subscription-store';
import { SubscriptionSecrets } from './application/subscriptions/subscription-secrets';
import { SubscriptionViews } from './application/subscriptions/subscription-views';
import { EventDelivery } from './application/subscriptions/event-delivery';
import { WebhookTargets } from './application/subscriptions/webhook-targets';
import { RegisterSubscriptionHandler } from './application/subscriptions/register-subscription.command';
import { StopSubscriptionHandler } from './application/subscriptions/stop-subscription.command';
import { ReplaySubscriptionHandler } from './application/subscriptions/replay-subscription.command';
import { RetryParkedDeliveriesHandler } from './application/subscriptions/retry-parked-deliveries.command';
import {
  ListSubscriptionsHandler,
  ReadParkedDeliveriesHandler,
  ReadSubscriptionHandler,
} from './application/subscriptions/subscription.queries';

/**
 * Starts the projections (and, in the process that folds them, the outbound subscriptions) with the service;
 * stops deliveries, then the projections, then closes the stores, when Nest shuts down.
 */
class StoreLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(SUBJECT_KEY_STORE) private readonly keys: SubjectKeyStore,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    @Inject(PROJECTION_ENGINE) private readonly engine: ProjectionEngine,
    @Inject(LEDGER_CONFIG) private readonly config: LedgerConfig,
    private readonly subscriptions: SubscriptionStore,
    private readonly deliveries: SubscriptionDeliveries,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.reads.ensureCollection(EMAIL_INDEX_COLLECTION, EMAIL_INDEX_KEYS);
    await this.subscriptions.prepare();
    await this.engine.start({ fold: this.config.runProjections });
    if (this.config.deliverSubscriptions ?? this.config.runProjections) await this.deliveries.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.deliveries.stop();
    await this.engine.stop();
    await this.events.close();
    await this.keys.close();
    await this.reads.close();
  }
}

/** The composition root: binds ports to the embedded adapters under the configured data directory. */
@Module({})
export class AppModule {
  static forRoot(config: LedgerConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [CqrsModule.forRoot()],
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
        { provide: LEDGER_CONFIG, useValue: config },
        { provide: AUTHENTICATION_LOGGER, useValue: logger },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        StaffSessions,
        StaffSessionResolver,
        OidcSignIn,
        ReadStaffActivityHandler,
        LocalAccounts,
        { provide: APP_GUARD, useClass: ConsistentReadGuard },
        AccessLogInterceptor,
        LedgerMetrics,
        { provide: EmailBlindIndex, useFactory: () => new EmailBlindIndex(config.masterKey) },
        { provide: Pseudonyms, useFactory: () => new Pseudonyms(config.masterKey) },
        AccessLog,
        EmailDirectory,
        EraseCustomerHandler,
        ExportSubjectHandler,
        ReadAuditTrailHandler,
        VerifyChainsHandler,
        FindCustomersByEmailHandler,
        ResolvePseudonymHandler,
        // Per port, the dedicated URL (EVENTSTORE_URL, MONGO_URL) wins, then DATABASE_URL, then the embedded files.
        // Every reader gets events upcast to their current schema; verification unwraps (storedEventsOf).
        {
          provide: EVENT_STORE,
          useFactory: async () =>
            withUpcasting(
              await (config.eventStoreUrl
                ? createEventStoreDbEventStore(config.eventStoreUrl)
                : config.databaseUrl
                  ? createPostgresEventStore({ connectionString: config.databaseUrl })
                  : createSqliteEventStore({ file: join(config.dataDir, 'events.db') })),
            ),
        },
        {
          provide: SUBJECT_KEY_STORE,
          useFactory: () =>
            config.mongoUrl
              ? createMongoSubjectKeyStore(config.mongoUrl)
              : config.databaseUrl
                ? createPostgresSubjectKeyStore({ connectionString: config.databaseUrl })
                : createSqliteSubjectKeyStore(join(config.dataDir, 'keys.db')),
        },
        {
          provide: PiiCipher,
          inject: [SUBJECT_KEY_STORE],
          useFactory: (keys: SubjectKeyStore) =>
            new PiiCipher(keys, config.masterKey, config.previousMasterKeys),
        },
        {
          provide: READ_STORE,
          useFactory: () =>
            config.mongoUrl
              ? createMongoReadStore(config.mongoUrl)
              : config.databaseUrl
                ? createPostgresReadStore({ connectionString: config.databaseUrl })
                : createSqliteReadStore(join(config.dataDir, 'read-models.db')),
        },
        {
          provide: PROJECTION_ENGINE,
          inject: [EVENT_STORE, READ_STORE],
          useFactory: (events: EventStore, reads: ReadStore) =>
            new ProjectionEngine(events, reads, PROJECTIONS, logger),
        },
        ReadModels,
        StoreLifecycle,
        CustomerLedger,
        RegisterCustomerHandler,
        MergeCustomersHandler,
        ChangeContactDetailsHandler,
        RecordConsentHandler,
        RecordTouchpointsHandler,
        RecordTrackingMessagesHandler,
        ReadCustomerEventsHandler,
        ReadProfileHandler,
        ReadTimelineHandler,
        ReadLoyaltyHandler,
        ReadFunnelReportHandler,
        ReadLoyaltyDistributionHandler,
        ReadPseudonymousLoyaltyHandler,
        CustomerSegments,
        ReadRfmReportHandler,
        ReadSegmentMembersHandler,
        ReadSegmentTransitionsHandler,
        ReadCohortReportHandler,
        ReadComplaintReportHandler,
        ReadSatisfactionReportHandler,
        CustomerBasePredictions,
        ReadPredictionBacktestHandler,
        ProductAssociations,
        ReadAssociationRulesHandler,
        PredictionModels,
        CustomerOutlooks,
        ReadCustomerPredictionsHandler,
        SubscriptionStore,
        SubscriptionSecrets,
        SubscriptionViews,
        {
          provide: WebhookTargets,
          useValue: new WebhookTargets(config.subscriptionDelivery?.allowedTargets),
        },
        EventDelivery,
        {
          provide: SubscriptionDeliveries,
          inject: [EVENT_STORE, SubscriptionStore, EventDelivery, SubscriptionSecrets],
          useFactory: (
            events: EventStore,
            store: SubscriptionStore,
            delivery: EventDelivery,
            secrets: SubscriptionSecrets,
          ) => new SubscriptionDeliveries(events, store, delivery, secrets, logger),
        },
        RegisterSubscriptionHandler,
        StopSubscriptionHandler,
        ReplaySubscriptionHandler,
        RetryParkedDeliveriesHandler,
        ListSubscriptionsHandler,
        ReadSubscriptionHandler,
        ReadParkedDeliveriesHandler,
      ],
    };
  }
}
