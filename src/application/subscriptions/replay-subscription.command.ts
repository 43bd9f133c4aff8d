import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { IsInt, Min } from 'class-validator';
import { v7 as uuidv7 } from 'uuid';
import { DomainError } from '../../domain/domain-error';
import { RecordingContext } from '../customers/customer-ledger';
import { ReplayRequest } from './subscription';
import { SubscriptionDeliveries } from './subscription-deliveries';
import { SubscriptionStore } from './subscription-store';
import { SubscriptionViews } from './subscription-views';

export class ReplaySubscriptionDto {
  /** The first log position delivered again; 0 replays the whole log. */
  @IsInt() @Min(0) fromPosition!: number;
}

/** What a replay request was taken as: the position it goes back to, and whether it is applied yet. */
export interface ReplayAccepted {
  readonly subscriptionId: string;
  readonly replayId: string;
  readonly fromPosition: number;
}

/**
 * An admin has a subscription deliver again from a position: the runner moves its checkpoint back (once per
 * request) and delivers everything from there, at least once as always. A replay only goes back: moving
 * forward would skip events never delivered.
 */
export class ReplaySubscription extends Command<ReplayAccepted> {
  constructor(
    readonly subscriptionId: string,
    readonly request: ReplaySubscriptionDto,
    readonly context: RecordingContext,
  ) {
    super();
  }
}

@CommandHandler(ReplaySubscription)
export class ReplaySubscriptionHandler implements ICommandHandler<ReplaySubscription> {
  constructor(
    private readonly store: SubscriptionStore,
    private readonly deliveries: SubscriptionDeliveries,
    private readonly views: SubscriptionViews,
  ) {}

  async execute({ subscriptionId, request, context }: ReplaySubscription): Promise<ReplayAccepted> {
    const subscription = await this.views.existing(subscriptionId);
    if (subscription.state === 'stopped') {
      throw new DomainError(
        'conflict',
        'subscription-stopped',
        `subscription ${subscriptionId} is stopped: register a new one to receive events again`,
        'id',
      );
    }
    const handled = await this.store.checkpoint(subscriptionId);
    if (request.fromPosition > handled + 1) {
      throw new DomainError(
        'invalid',
        'replay-goes-forward',
        `the subscription has handled the log up to position ${handled}: a replay starts at ${handled + 1} at most`,
        'fromPosition',
      );
    }
    // A replay not applied yet is widened rather than lost: the earlier of the two positions wins.
    const progress = await this.store.progress(subscriptionId);
    const pending = subscription.replay && subscription.replay.replayId !== progress.appliedReplayId;
    const fromPosition = pending
      ? Math.min(subscription.replay!.fromPosition, request.fromPosition)
      : request.fromPosition;
    const replay: ReplayRequest = {
      replayId: uuidv7(),
      fromPosition,
      requestedAt: context.now.toISOString(),
      requestedBy: context.actor,
    };
    await this.store.save({ ...subscription, replay });
    await this.deliveries.changed();
    return { subscriptionId, replayId: replay.replayId, fromPosition };
  }
}
