import { Inject, Module, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { LEDGER_CONFIG, LedgerConfig } from '../config/ledger-config';
import { LEDGER_LOGGER } from '../config/logger';
import { EVENT_STORE, EventStore } from '../ports/event-store.port';
import { EventDelivery } from '../application/subscriptions/event-delivery';
import { RegisterSubscriptionHandler } from '../application/subscriptions/register-subscription.command';
import { ReplaySubscriptionHandler } from '../application/subscriptions/replay-subscription.command';
import { RetryParkedDeliveriesHandler } from '../application/subscriptions/retry-parked-deliveries.command';
import { StopSubscriptionHandler } from '../application/subscriptions/stop-subscription.command';
import { SubscriptionDeliveries } from '../application/subscriptions/subscription-deliveries';
import { SubscriptionSecrets } from '../application/subscriptions/subscription-secrets';
import { SubscriptionStore } from '../application/subscriptions/subscription-store';
import { SubscriptionViews } from '../application/subscriptions/subscription-views';
import {
  ListSubscriptionsHandler,
  ReadParkedDeliveriesHandler,
  ReadSubscriptionHandler,
} from '../application/subscriptions/subscription.queries';
import { WebhookTargets } from '../application/subscriptions/webhook-targets';

/**
 * Prepares the subscriptions' collections, and in the process that delivers (the one that folds the
 * projections, unless configured otherwise) starts the deliveries; stops them at shutdown, before the stores
 * close (the ledger's global lifecycle runs last).
 */
class DeliveriesLifecycle implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(LEDGER_CONFIG) private readonly config: LedgerConfig,
    private readonly subscriptions: SubscriptionStore,
    private readonly deliveries: SubscriptionDeliveries,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.subscriptions.prepare();
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.deliverSubscriptions ?? this.config.runProjections) await this.deliveries.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.deliveries.stop();
  }
}

/** Outbound subscriptions: webhooks of the ledger's events, their deliveries, parking and replays. */
@Module({
  providers: [
    SubscriptionStore,
    SubscriptionSecrets,
    SubscriptionViews,
    {
      provide: WebhookTargets,
      inject: [LEDGER_CONFIG],
      useFactory: (config: LedgerConfig) => new WebhookTargets(config.subscriptionDelivery?.allowedTargets),
    },
    EventDelivery,
    {
      provide: SubscriptionDeliveries,
      inject: [EVENT_STORE, SubscriptionStore, EventDelivery, SubscriptionSecrets, LEDGER_LOGGER],
      useFactory: (
        events: EventStore,
        store: SubscriptionStore,
        delivery: EventDelivery,
        secrets: SubscriptionSecrets,
        logger: Logger,
      ) => new SubscriptionDeliveries(events, store, delivery, secrets, logger),
    },
    DeliveriesLifecycle,
    RegisterSubscriptionHandler,
    StopSubscriptionHandler,
    ReplaySubscriptionHandler,
    RetryParkedDeliveriesHandler,
    ListSubscriptionsHandler,
    ReadSubscriptionHandler,
    ReadParkedDeliveriesHandler,
  ],
})
export class SubscriptionsModule {}
