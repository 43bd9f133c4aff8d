import { Inject, Injectable } from '@nestjs/common';
import { CollectionWrites, READ_STORE, ReadStore } from '../../ports/read-store.port';
import {
  DeliveryProgress,
  NO_PROGRESS,
  PARKED_COLLECTION,
  PARKED_INDEXES,
  ParkedDelivery,
  parkedDeliveryId,
  PROGRESS_COLLECTION,
  Subscription,
  subscriptionCheckpoint,
  SUBSCRIPTIONS_COLLECTION,
  SUBSCRIPTIONS_INDEXES,
} from './subscription';

/** Parked deliveries read per page when all of a subscription's are needed. */
const PARKED_PAGE = 1000;

/**
 * Subscriptions, their progress, checkpoints and parked deliveries in the read store (ReadStore port), so
 * they survive restarts and work on every backend. A delivery's outcome and the checkpoint that passes it are
 * written in one commit.
 */
@Injectable()
export class SubscriptionStore {
  constructor(@Inject(READ_STORE) private readonly reads: ReadStore) {}

  /** Creates the collections if they do not exist yet; every process calls it at start. */
  async prepare(): Promise<void> {
    await this.reads.ensureCollection(SUBSCRIPTIONS_COLLECTION, SUBSCRIPTIONS_INDEXES);
    await this.reads.ensureCollection(PROGRESS_COLLECTION, []);
    await this.reads.ensureCollection(PARKED_COLLECTION, PARKED_INDEXES);
  }

  get(subscriptionId: string): Promise<Subscription | undefined> {
    return this.reads.get<Subscription>(SUBSCRIPTIONS_COLLECTION, subscriptionId);
  }

  /** Every subscription, stopped ones included, oldest first. */
  list(): Promise<Subscription[]> {
    return this.reads.find<Subscription>(SUBSCRIPTIONS_COLLECTION, { sort: [['createdAt', 1]] });
  }

  /** Stores a new subscription with its checkpoint just before its first position, in one commit. */
  async register(subscription: Subscription): Promise<void> {
    await this.reads.commit(
      [
        { collection: SUBSCRIPTIONS_COLLECTION, writes: [{ id: subscription.id, doc: subscription }] },
        {
          collection: PROGRESS_COLLECTION,
          writes: [{ id: subscription.id, doc: NO_PROGRESS(subscription.id) }],
        },
      ],
      { [subscriptionCheckpoint(subscription.id)]: subscription.firstPosition - 1 },
    );
  }

  /** Stores a changed subscription (stopped, replay asked); only the use cases write subscriptions. */
  async save(subscription: Subscription): Promise<void> {
    await this.reads.commit(
      [{ collection: SUBSCRIPTIONS_COLLECTION, writes: [{ id: subscription.id, doc: subscription }] }],
      {},
    );
  }

  async progress(subscriptionId: string): Promise<DeliveryProgress> {
    return (
      (await this.reads.get<DeliveryProgress>(PROGRESS_COLLECTION, subscriptionId)) ??
      NO_PROGRESS(subscriptionId)
    );
  }

  /** The last position the subscription has handled: delivered, parked or passed over. */
  checkpoint(subscriptionId: string): Promise<number> {
    return this.reads.checkpoint(subscriptionCheckpoint(subscriptionId));
  }

  /**
   * The runner's commit: its progress, parked deliveries to add or (by position) remove, and, when given, the
   * checkpoint, all at once. Only the runner writes progress, so no other writer's change is overwritten.
   */
  async commit(
    progress: DeliveryProgress,
    changes: ParkedChanges & { readonly checkpoint?: number } = {},
  ): Promise<void> {
    const { subscriptionId } = progress;
    const writes: CollectionWrites[] = [
      { collection: PROGRESS_COLLECTION, writes: [{ id: subscriptionId, doc: progress }] },
      ...parkedWrites(subscriptionId, changes),
    ];
    await this.reads.commit(
      writes,
      changes.checkpoint === undefined
        ? {}
        : { [subscriptionCheckpoint(subscriptionId)]: changes.checkpoint },
    );
  }

  /** Parked deliveries added or removed outside the runner (a retry of parked deliveries). */
  async updateParked(subscriptionId: string, changes: ParkedChanges): Promise<void> {
    await this.reads.commit(parkedWrites(subscriptionId, changes), {});
  }

  /** Parked deliveries of a subscription in position order: a page after `afterPosition`. */
  parked(subscriptionId: string, afterPosition = -1, limit = PARKED_PAGE): Promise<ParkedDelivery[]> {
    return this.reads.find<ParkedDelivery>(PARKED_COLLECTION, {
      where: { subscriptionId },
      sort: [
        ['subscriptionId', 1],
        ['position', 1],
      ],
      after: [subscriptionId, afterPosition],
      limit,
    });
  }

  /** How many deliveries of a subscription are parked, counted page by page. */
  async parkedCount(subscriptionId: string): Promise<number> {
    let count = 0;
    for (let after = -1; ;) {
      const page = await this.parked(subscriptionId, after, PARKED_PAGE);
      count += page.length;
      if (page.length < PARKED_PAGE) return count;
      after = page[page.length - 1]!.position;
    }
  }
}

/** Parked deliveries to store, and positions whose parked delivery is to go. */
export interface ParkedChanges {
  readonly park?: readonly ParkedDelivery[];
  readonly unpark?: readonly number[];
}

function parkedWrites(subscriptionId: string, changes: ParkedChanges): CollectionWrites[] {
  const writes = [
    ...(changes.park ?? []).map((parked) => ({
      id: parkedDeliveryId(subscriptionId, parked.position),
      doc: parked,
    })),
    ...(changes.unpark ?? []).map((position) => ({
      id: parkedDeliveryId(subscriptionId, position),
      doc: null,
    })),
  ];
  return writes.length > 0 ? [{ collection: PARKED_COLLECTION, writes }] : [];
}
