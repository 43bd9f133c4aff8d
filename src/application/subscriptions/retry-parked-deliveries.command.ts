import { Inject } from '@nestjs/common';
import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { DomainError } from '../../domain/domain-error';
import { EVENT_STORE, EventStore } from '../../ports/event-store.port';
import { EventDelivery } from './event-delivery';
import { ParkedDelivery, Subscription } from './subscription';
import { SubscriptionSecrets } from './subscription-secrets';
import { SubscriptionStore } from './subscription-store';
import { SubscriptionViews } from './subscription-views';

/** Parked deliveries retried per request: each attempt may take the request timeout. */
export const PARKED_RETRIED_PER_REQUEST = 100;

export interface ParkedRetryResult {
  readonly position: number;
  readonly eventId: string;
  readonly outcome: 'delivered' | 'still-parked';
  readonly error?: string;
}

export interface ParkedRetryReport {
  readonly subscriptionId: string;
  readonly retried: number;
  readonly delivered: number;
  readonly stillParked: number;
  /** Parked deliveries this request did not reach (more than PARKED_RETRIED_PER_REQUEST): retry again. */
  readonly remaining: number;
  readonly results: readonly ParkedRetryResult[];
}

/**
 * After the receiver is fixed: one attempt for each parked delivery, oldest first. A delivered one leaves the
 * parked list; one that fails again stays with the new error. Runs beside the subscription's runner, so the
 * retried events arrive after later ones did: receivers order by `streamRevision` per customer if they care.
 */
export class RetryParkedDeliveries extends Command<ParkedRetryReport> {
  constructor(readonly subscriptionId: string) {
    super();
  }
}

@CommandHandler(RetryParkedDeliveries)
export class RetryParkedDeliveriesHandler implements ICommandHandler<RetryParkedDeliveries> {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    private readonly store: SubscriptionStore,
    private readonly secrets: SubscriptionSecrets,
    private readonly delivery: EventDelivery,
    private readonly views: SubscriptionViews,
  ) {}

  async execute({ subscriptionId }: RetryParkedDeliveries): Promise<ParkedRetryReport> {
    const subscription = await this.views.existing(subscriptionId);
    const secret =
      subscription.state === 'active'
        ? await this.secrets.reveal(subscriptionId, subscription.sealedSecret)
        : undefined;
    if (secret === undefined) {
      throw new DomainError(
        'conflict',
        'subscription-stopped',
        `subscription ${subscriptionId} is stopped: its parked deliveries can be read, not retried`,
        'id',
      );
    }
    const parked = await this.store.parked(subscriptionId, -1, PARKED_RETRIED_PER_REQUEST);
    const results: ParkedRetryResult[] = [];
    for (const delivery of parked) results.push(await this.retry(subscription, secret, delivery));
    const delivered = results.filter((result) => result.outcome === 'delivered').length;
    const stillParked = results.length - delivered;
    return {
      subscriptionId,
      retried: results.length,
      delivered,
      stillParked,
      remaining: Math.max(0, (await this.store.parkedCount(subscriptionId)) - stillParked),
      results,
    };
  }

  private async retry(
    subscription: Subscription,
    secret: string,
    parked: ParkedDelivery,
  ): Promise<ParkedRetryResult> {
    const [event] = await this.events.readAll({ afterPosition: parked.position - 1, maxCount: 1 });
    if (!event || event.position !== parked.position) {
      throw new Error(`the parked event at position ${parked.position} is no longer in the log`);
    }
    // No abort: the request's own timeout bounds the attempt.
    const outcome = await this.delivery.attempt(subscription, secret, event, new AbortController().signal);
    if (outcome.kind === 'delivered') {
      await this.store.updateParked(subscription.id, { unpark: [parked.position] });
      return { position: parked.position, eventId: parked.eventId, outcome: 'delivered' };
    }
    const error = outcome.kind === 'failed' ? outcome.error : 'abandoned';
    await this.store.updateParked(subscription.id, {
      park: [{ ...parked, attempts: 1, error, retriedAt: new Date().toISOString() }],
    });
    return { position: parked.position, eventId: parked.eventId, outcome: 'still-parked', error };
  }
}
