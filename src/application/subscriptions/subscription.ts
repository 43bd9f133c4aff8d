import { IndexKey } from '../../ports/read-store.port';

/** How a delivered event is shaped: the ledger's own envelope, or a structured CloudEvents 1.0 document. */
export const SUBSCRIPTION_FORMATS = ['ledger', 'cloudevents'] as const;
export type SubscriptionFormat = (typeof SUBSCRIPTION_FORMATS)[number];

/** The event type every subscription receives whatever its filter, so that receivers can erase too. */
export const ALWAYS_DELIVERED_TYPE = 'CustomerErased';

/** A replay an admin asked for: the runner moves the subscription back to `fromPosition`, once. */
export interface ReplayRequest {
  /** Identifies the request, so that the runner applies it exactly once (its progress keeps the last id). */
  readonly replayId: string;
  /** The first position delivered again. */
  readonly fromPosition: number;
  readonly requestedAt: string;
  readonly requestedBy: string;
}

/**
 * A subscription as kept in the read store: where to deliver, what, and in which shape. Only the use cases
 * write it (register, stop, replay); the runner writes its progress and checkpoint elsewhere, so the two
 * never overwrite each other's changes.
 */
export interface Subscription {
  readonly id: string;
  readonly name: string;
  readonly url: string;
  /** Stored event types delivered, or 'all'. CustomerErased is delivered whatever this says. */
  readonly eventTypes: readonly string[] | 'all';
  readonly format: SubscriptionFormat;
  /** False: personal-data fields are left out. True: decrypted, each delivery entered in the access log. */
  readonly includePersonalData: boolean;
  /** As registered: 'now', 'beginning' or a position; `firstPosition` is what it resolved to. */
  readonly startFrom: 'now' | 'beginning' | number;
  /** The first position the subscription delivers (inclusive). */
  readonly firstPosition: number;
  /** Whom the access log names for deliveries of personal data: `subscription:<id>`. */
  readonly principal: string;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly state: 'active' | 'stopped';
  readonly stoppedAt?: string;
  readonly stoppedBy?: string;
  readonly replay?: ReplayRequest;
  /** The signing secret, encrypted under a data key of its own (SubscriptionSecrets); never answered. */
  readonly sealedSecret: string;
}

/** The outcome of the last successful delivery. */
export interface LastDelivery {
  readonly at: string;
  readonly position: number;
  readonly eventId: string;
  readonly type: string;
  /** The receiver's HTTP status. */
  readonly status: number;
  /** Attempts it took (1 when the first one succeeded). */
  readonly attempts: number;
}

/** The last failed attempt: which event, which attempt, and why (a status or a network error, never data). */
export interface LastFailure {
  readonly at: string;
  readonly position: number;
  readonly eventId: string;
  readonly attempt: number;
  readonly error: string;
}

/**
 * What the runner has done, kept in the read store and committed together with its checkpoint, so that any
 * process can answer the status and a restart resumes where the last commit left off.
 */
export interface DeliveryProgress {
  readonly subscriptionId: string;
  /** Events delivered (2xx) since registration, replays and parked retries included. */
  readonly delivered: number;
  /** Failed attempts since the last success. */
  readonly consecutiveFailures: number;
  readonly lastDelivery?: LastDelivery;
  readonly lastFailure?: LastFailure;
  /** The replay request applied last. */
  readonly appliedReplayId?: string;
}

/** An event that failed every attempt: kept with its last error until a retry delivers it. */
export interface ParkedDelivery {
  readonly subscriptionId: string;
  readonly position: number;
  readonly eventId: string;
  readonly type: string;
  readonly customerId: string;
  /** Attempts made by the delivery that parked it, or by the last retry. */
  readonly attempts: number;
  /** The last attempt's error: a status or a network error, never the event's values. */
  readonly error: string;
  readonly parkedAt: string;
  readonly retriedAt?: string;
}

export const SUBSCRIPTIONS_COLLECTION = 'subscriptions';
export const SUBSCRIPTIONS_INDEXES: readonly (readonly IndexKey[])[] = [[['createdAt', 1]]];
export const PROGRESS_COLLECTION = 'subscription-progress';
export const PARKED_COLLECTION = 'subscription-parked';
export const PARKED_INDEXES: readonly (readonly IndexKey[])[] = [
  [
    ['subscriptionId', 1],
    ['position', 1],
  ],
];

/** The read-store checkpoint of a subscription: the last position it has handled (delivered, parked or skipped). */
export const subscriptionCheckpoint = (subscriptionId: string) => `subscription:${subscriptionId}`;

/** Parked deliveries are keyed by subscription and position: parking the same event again overwrites. */
export const parkedDeliveryId = (subscriptionId: string, position: number) => `${subscriptionId}:${position}`;

/** The principal the access log names for a subscription's deliveries of personal data. */
export const subscriptionPrincipal = (subscriptionId: string) => `subscription:${subscriptionId}`;

/** Whether the subscription delivers events of this type (CustomerErased always). */
export function deliversType(subscription: Pick<Subscription, 'eventTypes'>, type: string): boolean {
  return (
    type === ALWAYS_DELIVERED_TYPE ||
    subscription.eventTypes === 'all' ||
    subscription.eventTypes.includes(type)
  );
}

export const NO_PROGRESS = (subscriptionId: string): DeliveryProgress => ({
  subscriptionId,
  delivered: 0,
  consecutiveFailures: 0,
});
