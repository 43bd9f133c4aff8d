import type { Logger } from 'pino';
import { EventStore } from '../../ports/event-store.port';
import { EventDelivery } from './event-delivery';
import { Subscription } from './subscription';
import { pause, SubscriptionRunner } from './subscription-runner';
import { SubscriptionSecrets } from './subscription-secrets';
import { SubscriptionStore } from './subscription-store';

/**
 * The runners of every active subscription, in the one process that delivers (the one that folds the
 * projections: the service with LEDGER_PROJECTIONS on, or `ledger project`). Subscriptions are registered,
 * stopped and replayed through the read store, possibly by another process: the stored list is read again
 * every `pollIntervalMs`, and at once when this process changed it (`changed`).
 */
export class SubscriptionDeliveries {
  private readonly runners = new Map<string, SubscriptionRunner>();
  private readonly stopping = new AbortController();
  private delivering = false;
  private watching?: Promise<void>;
  /** Reconciliations take turns, so that two of them never start two runners for one subscription. */
  private turn: Promise<void> = Promise.resolve();

  constructor(
    private readonly events: EventStore,
    private readonly store: SubscriptionStore,
    private readonly delivery: EventDelivery,
    private readonly secrets: SubscriptionSecrets,
    private readonly logger: Logger,
  ) {}

  /** Whether this process delivers subscriptions. */
  get delivers(): boolean {
    return this.delivering;
  }

  /** Starts a runner per active subscription and watches the stored list for changes. */
  async start(): Promise<void> {
    this.delivering = true;
    await this.reconcile();
    this.watching = this.watch();
  }

  /** Stops every runner; attempts in flight are abandoned and made again after a restart. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.watching;
    await this.turn;
    await Promise.all([...this.runners.values()].map((runner) => runner.stop()));
    this.runners.clear();
  }

  /**
   * A use case of this process changed a subscription: apply it now rather than at the next poll. Never
   * fails: the change is stored already, and should this fail the next poll applies it.
   */
  async changed(): Promise<void> {
    if (!this.delivering || this.stopping.signal.aborted) return;
    await this.reconcile().catch((error: unknown) =>
      this.logger.error({ err: error }, 'could not apply a subscription change now; the next poll will'),
    );
  }

  private async watch(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      await pause(this.delivery.policy.pollIntervalMs, this.stopping.signal);
      if (this.stopping.signal.aborted) return;
      await this.reconcile().catch((error: unknown) =>
        this.logger.error({ err: error }, 'could not read the subscriptions; trying again at the next poll'),
      );
    }
  }

  /** Runners for the active subscriptions, none for stopped or removed ones; every runner told of changes. */
  private reconcile(): Promise<void> {
    const next = this.turn.then(async () => {
      if (this.stopping.signal.aborted) return;
      const subscriptions = await this.store.list();
      const active = new Map(
        subscriptions
          .filter((subscription) => subscription.state === 'active')
          .map((subscription) => [subscription.id, subscription]),
      );
      for (const [id, runner] of this.runners) {
        if (active.has(id)) continue;
        this.runners.delete(id);
        await runner.stop();
        this.logger.info({ subscriptionId: id }, 'subscription stopped');
      }
      for (const [id, subscription] of active) {
        const runner = this.runners.get(id);
        if (runner) runner.update(subscription);
        else this.startRunner(subscription);
      }
    });
    this.turn = next.catch(() => undefined);
    return next;
  }

  private startRunner(subscription: Subscription): void {
    const runner = new SubscriptionRunner(subscription, {
      events: this.events,
      store: this.store,
      delivery: this.delivery,
      secrets: this.secrets,
      logger: this.logger,
    });
    this.runners.set(subscription.id, runner);
    runner.start();
    this.logger.info(
      { subscriptionId: subscription.id, format: subscription.format },
      'subscription delivering',
    );
  }
}
