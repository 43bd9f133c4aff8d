import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { EventStore, RecordedEvent } from '../../ports/event-store.port';
import { batchesOf } from '../read-models/subscription-batches';
import { retryPauseMs } from './delivery-policy';
import { deliveredCustomerOf, EventDelivery } from './event-delivery';
import { DeliveryProgress, deliversType, ParkedDelivery, Subscription } from './subscription';
import { SubscriptionSecrets } from './subscription-secrets';
import { SubscriptionStore } from './subscription-store';

/** Events read ahead of delivery at most: delivery is one at a time, so a larger batch buys nothing. */
const READ_AHEAD = 100;
/** Live events are gathered this long before the checkpoint of those passed over is committed. */
const LIVE_LINGER_MS = 20;
/** The longest pause after an unexpected error (the read store unavailable, say) before the runner resumes. */
const MAX_RESUME_PAUSE_MS = 30_000;

export interface RunnerDependencies {
  readonly events: EventStore;
  readonly store: SubscriptionStore;
  readonly delivery: EventDelivery;
  readonly secrets: SubscriptionSecrets;
  readonly logger: Logger;
}

/** What delivering one event came to. */
type Delivered =
  { readonly kind: 'handled'; readonly progress: DeliveryProgress } | { readonly kind: 'aborted' };

/**
 * Delivers one subscription: reads the log from its checkpoint (catch-up, then live), passes over what the
 * subscription does not take, and POSTs the rest one at a time, in log order. The checkpoint passes an event
 * only in the commit that records its outcome, delivered (a 2xx) or parked (every attempt failed): a crash
 * at any point delivers again what was not committed, so delivery is at least once and nothing is lost.
 */
export class SubscriptionRunner {
  private readonly stopping = new AbortController();
  /** The current pass over the log; a replay ends it so that the next pass starts from the new position. */
  private session?: AbortController;
  private running?: Promise<void>;

  constructor(
    private subscription: Subscription,
    private readonly dependencies: RunnerDependencies,
  ) {}

  get subscriptionId(): string {
    return this.subscription.id;
  }

  start(): void {
    this.running = this.run();
  }

  /** The subscription as now stored: a replay asked for ends the current pass (an in-flight attempt too). */
  update(subscription: Subscription): void {
    const replayAsked = subscription.replay?.replayId !== this.subscription.replay?.replayId;
    this.subscription = subscription;
    if (replayAsked) this.session?.abort();
  }

  /** Stops at once; an attempt in flight is abandoned and, not being committed, is made again after a restart. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.session?.abort();
    await this.running;
  }

  private async run(): Promise<void> {
    for (let failures = 0; !this.stopping.signal.aborted;) {
      try {
        await this.pass();
        failures = 0;
      } catch (error) {
        failures++;
        this.dependencies.logger.error(
          { subscriptionId: this.subscription.id, err: error },
          'subscription delivery failed unexpectedly; resuming from its checkpoint',
        );
        await pause(Math.min(MAX_RESUME_PAUSE_MS, 500 * 2 ** Math.min(failures, 10)), this.stopping.signal);
      }
    }
  }

  /** One pass over the log from the checkpoint, until stopped or a replay is asked for. */
  private async pass(): Promise<void> {
    const { store, secrets, events, logger } = this.dependencies;
    const session = new AbortController();
    this.session = session;
    const signal = AbortSignal.any([this.stopping.signal, session.signal]);
    const subscription = this.subscription;
    let progress = await store.progress(subscription.id);
    let checkpoint = await store.checkpoint(subscription.id);
    const replay = subscription.replay;
    if (replay && replay.replayId !== progress.appliedReplayId) {
      checkpoint = Math.max(0, replay.fromPosition - 1);
      progress = { ...progress, appliedReplayId: replay.replayId };
      await store.commit(progress, { checkpoint });
      logger.info({ subscriptionId: subscription.id, fromPosition: replay.fromPosition }, 'replaying');
    }
    const secret = await secrets.reveal(subscription.id, subscription.sealedSecret);
    if (secret === undefined) {
      // Stopped elsewhere and its secret shredded: the stop reaches this process with the next poll.
      await pause(this.dependencies.delivery.policy.pollIntervalMs, signal);
      return;
    }
    const parked = await this.parkedPositionsAfter(checkpoint);

    let committed = checkpoint;
    let handled = checkpoint;
    const log = events.subscribeToAll({ afterPosition: checkpoint, signal });
    for await (const batch of batchesOf(log, READ_AHEAD, LIVE_LINGER_MS)) {
      for (const event of batch.events) {
        if (signal.aborted) return;
        if (deliveredCustomerOf(event) === undefined || !deliversType(subscription, event.type)) {
          handled = event.position;
          continue;
        }
        const outcome = await this.deliver(
          subscription,
          secret,
          event,
          progress,
          parked.has(event.position),
          signal,
        );
        if (outcome.kind === 'aborted') return;
        progress = outcome.progress;
        committed = handled = event.position;
      }
      // Events passed over move the checkpoint too, once per batch rather than once per event.
      if (handled > committed && !signal.aborted) {
        await store.commit(progress, { checkpoint: handled });
        committed = handled;
      }
    }
    if (!signal.aborted) throw new Error('the event store ended the subscription to the log');
  }

  /**
   * Up to `maxAttempts` attempts with exponential backoff and jitter; then the event is parked and delivery
   * moves on. Failed attempts are recorded in the progress (without the checkpoint) as they happen.
   */
  private async deliver(
    subscription: Subscription,
    secret: string,
    event: RecordedEvent,
    progress: DeliveryProgress,
    wasParked: boolean,
    signal: AbortSignal,
  ): Promise<Delivered> {
    const { store, delivery, logger } = this.dependencies;
    const { maxAttempts } = delivery.policy;
    let lastError = '';
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const outcome = await delivery.attempt(subscription, secret, event, signal);
      if (outcome.kind === 'aborted' || signal.aborted) return { kind: 'aborted' };
      const at = new Date().toISOString();
      if (outcome.kind === 'delivered') {
        const delivered: DeliveryProgress = {
          ...progress,
          delivered: progress.delivered + 1,
          consecutiveFailures: 0,
          lastDelivery: {
            at,
            position: event.position,
            eventId: event.eventId,
            type: event.type,
            status: outcome.status,
            attempts: attempt,
          },
        };
        // A replay may deliver an event parked before: it is parked no more.
        await store.commit(delivered, {
          checkpoint: event.position,
          unpark: wasParked ? [event.position] : [],
        });
        return { kind: 'handled', progress: delivered };
      }
      lastError = outcome.error;
      progress = {
        ...progress,
        consecutiveFailures: progress.consecutiveFailures + 1,
        lastFailure: { at, position: event.position, eventId: event.eventId, attempt, error: outcome.error },
      };
      await store.commit(progress);
      logger.warn(
        {
          subscriptionId: subscription.id,
          position: event.position,
          eventId: event.eventId,
          attempt,
          error: outcome.error,
        },
        'subscription delivery attempt failed',
      );
      if (attempt < maxAttempts) await pause(retryPauseMs(delivery.policy, attempt), signal);
      if (signal.aborted) return { kind: 'aborted' };
    }
    const parkedDelivery: ParkedDelivery = {
      subscriptionId: subscription.id,
      position: event.position,
      eventId: event.eventId,
      type: event.type,
      customerId: deliveredCustomerOf(event)!,
      attempts: maxAttempts,
      error: lastError,
      parkedAt: new Date().toISOString(),
    };
    await store.commit(progress, { checkpoint: event.position, park: [parkedDelivery] });
    logger.warn(
      {
        subscriptionId: subscription.id,
        position: event.position,
        eventId: event.eventId,
        attempts: maxAttempts,
      },
      'subscription delivery parked after its last attempt; moving on',
    );
    return { kind: 'handled', progress };
  }

  /** Positions of parked deliveries this pass may deliver again (a replay): those after the checkpoint. */
  private async parkedPositionsAfter(checkpoint: number): Promise<Set<number>> {
    const positions = new Set<number>();
    for (let after = checkpoint; ;) {
      const page = await this.dependencies.store.parked(this.subscription.id, after);
      page.forEach((parked) => positions.add(parked.position));
      if (page.length === 0) return positions;
      after = page[page.length - 1]!.position;
    }
  }
}

/** Waits `ms`, or less when the signal aborts (Node's abortable timer, its AbortError swallowed). */
export const pause = (ms: number, signal: AbortSignal): Promise<void> =>
  delay(ms, undefined, { signal }).catch(() => undefined);
