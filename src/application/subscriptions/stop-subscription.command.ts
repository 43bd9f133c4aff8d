import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { RecordingContext } from '../customers/customer-ledger';
import { SubscriptionDeliveries } from './subscription-deliveries';
import { SubscriptionSecrets } from './subscription-secrets';
import { SubscriptionStore } from './subscription-store';
import { SubscriptionView, SubscriptionViews } from './subscription-views';

/**
 * An admin stops a subscription for good: nothing more is delivered and its secret is shredded. The record
 * stays (stopped, by whom, when), so that where personal data went remains auditable.
 */
export class StopSubscription extends Command<SubscriptionView> {
  constructor(
    readonly subscriptionId: string,
    readonly context: RecordingContext,
  ) {
    super();
  }
}

@CommandHandler(StopSubscription)
export class StopSubscriptionHandler implements ICommandHandler<StopSubscription> {
  constructor(
    private readonly store: SubscriptionStore,
    private readonly secrets: SubscriptionSecrets,
    private readonly deliveries: SubscriptionDeliveries,
    private readonly views: SubscriptionViews,
  ) {}

  async execute({ subscriptionId, context }: StopSubscription): Promise<SubscriptionView> {
    const subscription = await this.views.existing(subscriptionId);
    if (subscription.state === 'stopped') return this.views.of(subscription);
    const stopped = {
      ...subscription,
      state: 'stopped' as const,
      stoppedAt: context.now.toISOString(),
      stoppedBy: context.actor,
    };
    // Stopped first, shredded second: a runner that meets the shredded secret already has a stop on its way.
    await this.store.save(stopped);
    await this.deliveries.changed();
    await this.secrets.shred(subscriptionId);
    return this.views.of(stopped);
  }
}
