import { Inject } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { EVENT_STORE, EventStore } from '../../ports/event-store.port';
import { ParkedDelivery } from './subscription';
import { SubscriptionStore } from './subscription-store';
import { SubscriptionView, SubscriptionViews } from './subscription-views';
import { IsOmittable } from '../../validation/validators';

/** Every subscription, stopped ones included, with its delivery status. */
export class ListSubscriptions extends Query<{ subscriptions: SubscriptionView[] }> {}

@QueryHandler(ListSubscriptions)
export class ListSubscriptionsHandler implements IQueryHandler<ListSubscriptions> {
  constructor(
    private readonly store: SubscriptionStore,
    private readonly views: SubscriptionViews,
    @Inject(EVENT_STORE) private readonly events: EventStore,
  ) {}

  async execute(): Promise<{ subscriptions: SubscriptionView[] }> {
    // One head for all, so that every lag is measured against the same log.
    const head = await this.events.lastPosition();
    const subscriptions = await this.store.list();
    return { subscriptions: await Promise.all(subscriptions.map((each) => this.views.of(each, head))) };
  }
}

/** One subscription with its delivery status. */
export class ReadSubscription extends Query<SubscriptionView> {
  constructor(readonly subscriptionId: string) {
    super();
  }
}

@QueryHandler(ReadSubscription)
export class ReadSubscriptionHandler implements IQueryHandler<ReadSubscription> {
  constructor(private readonly views: SubscriptionViews) {}

  async execute({ subscriptionId }: ReadSubscription): Promise<SubscriptionView> {
    return this.views.of(await this.views.existing(subscriptionId));
  }
}

export class ReadParkedDeliveriesParams {
  /** List parked deliveries after this position (the previous page's `nextAfterPosition`). */
  @IsOmittable() @Type(() => Number) @IsInt() @Min(0) afterPosition?: number;
  @IsOmittable() @Type(() => Number) @IsInt() @Min(1) @Max(1000) limit?: number;
}

export interface ParkedDeliveriesPage {
  readonly subscriptionId: string;
  /** Every parked delivery of the subscription, counted. */
  readonly count: number;
  /** This page, oldest first. */
  readonly deliveries: readonly ParkedDelivery[];
  /** Pass as afterPosition for the next page; absent on the last one. */
  readonly nextAfterPosition?: number;
}

/** A subscription's parked deliveries, each with its last error, a page at a time. */
export class ReadParkedDeliveries extends Query<ParkedDeliveriesPage> {
  constructor(
    readonly subscriptionId: string,
    readonly params: ReadParkedDeliveriesParams,
  ) {
    super();
  }
}

@QueryHandler(ReadParkedDeliveries)
export class ReadParkedDeliveriesHandler implements IQueryHandler<ReadParkedDeliveries> {
  constructor(
    private readonly store: SubscriptionStore,
    private readonly views: SubscriptionViews,
  ) {}

  async execute({ subscriptionId, params }: ReadParkedDeliveries): Promise<ParkedDeliveriesPage> {
    await this.views.existing(subscriptionId);
    const limit = params.limit ?? 100;
    const page = await this.store.parked(subscriptionId, params.afterPosition ?? -1, limit + 1);
    const deliveries = page.slice(0, limit);
    return {
      subscriptionId,
      count: await this.store.parkedCount(subscriptionId),
      deliveries,
      ...(page.length > limit && { nextAfterPosition: deliveries[deliveries.length - 1]!.position }),
    };
  }
}
