import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '../../domain/domain-error';
import { EVENT_STORE, EventStore } from '../../ports/event-store.port';
import { LastDelivery, LastFailure, ReplayRequest, Subscription } from './subscription';
import { SubscriptionStore } from './subscription-store';

/** A subscription as the API shows it: never its secret. */
export type SubscriptionView = Omit<Subscription, 'sealedSecret' | 'replay'> & {
  readonly replay?: ReplayRequest & { readonly applied: boolean };
  readonly status: DeliveryStatus;
};

export interface DeliveryStatus {
  /** The last log position handled (delivered, parked or passed over by the filter). */
  readonly position: number;
  /** The log head when asked. */
  readonly head: number;
  /** Positions still to be handled. */
  readonly lag: number;
  /** Events delivered by the runner since registration (replays included). */
  readonly delivered: number;
  readonly lastDelivery?: LastDelivery;
  /** Failed attempts since the last success, and the last of them. */
  readonly failures: { readonly consecutive: number; readonly last?: LastFailure };
  /** Deliveries parked now. */
  readonly parked: number;
}

/** The answer for an id that names no subscription. */
export function unknownSubscription(subscriptionId: string): DomainError {
  return new DomainError(
    'not-found',
    'unknown-subscription',
    `no subscription has the id ${subscriptionId}`,
    'id',
  );
}

/** Subscriptions with their delivery status, read from the read store (any process can answer). */
@Injectable()
export class SubscriptionViews {
  constructor(
    private readonly store: SubscriptionStore,
    @Inject(EVENT_STORE) private readonly events: EventStore,
  ) {}

  /** The stored subscription, or a not-found error. */
  async existing(subscriptionId: string): Promise<Subscription> {
    const subscription = await this.store.get(subscriptionId);
    if (!subscription) throw unknownSubscription(subscriptionId);
    return subscription;
  }

  async of(subscription: Subscription, head?: number): Promise<SubscriptionView> {
    const [position, progress, parked, logHead] = await Promise.all([
      this.store.checkpoint(subscription.id),
      this.store.progress(subscription.id),
      this.store.parkedCount(subscription.id),
      head ?? this.events.lastPosition(),
    ]);
    const { sealedSecret: _secret, replay, ...shown } = subscription;
    return {
      ...shown,
      ...(replay && { replay: { ...replay, applied: progress.appliedReplayId === replay.replayId } }),
      status: {
        position,
        head: logHead,
        lag: Math.max(0, logHead - position),
        delivered: progress.delivered,
        ...(progress.lastDelivery && { lastDelivery: progress.lastDelivery }),
        failures: {
          consecutive: progress.consecutiveFailures,
          ...(progress.lastFailure && { last: progress.lastFailure }),
        },
        parked,
      },
    };
  }
}
