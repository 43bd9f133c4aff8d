import { upcastEvent } from '../src/domain/event-upcasters';
import { customerSummaryProjection } from './customer-summary.projection';
import { assertWellFormed, MalformedEventError, StoredEvent } from './event-guard';
import { funnelProjection } from './funnel.projection';
import { loyaltyProjection } from './loyalty.projection';
import { CUSTOMER_STREAM_PREFIX, ProjectedEvent, Projection } from './projection';
import { timelineProjection } from './timeline.projection';
import { purchaseHistoryProjection } from './purchase-history.projection';
import { complaintHistoryProjection } from './complaint-history.projection';
import { surveyHistoryProjection } from './survey-history.projection';
import { customerPagesProjection } from './customer-pages.projection';

/** Every read model the service maintains. */
export const PROJECTIONS: readonly Projection<object>[] = [
  timelineProjection,
  customerSummaryProjection,
  loyaltyProjection,
  funnelProjection,
  purchaseHistoryProjection,
  complaintHistoryProjection,
  surveyHistoryProjection,
  customerPagesProjection,
] as Projection<object>[];

/**
 * A stored event as projections see it, or undefined for events of other streams (access logs). This is the
 * one place stored events become projected events (live runner, retry, what-if, as-of, replay), so every
 * customer event is checked here once, the same way for every projection: a malformed one throws
 * MalformedEventError naming the field, and no projection ever folds it. It is upcast to its type's current
 * schema first: the service's store already hands events over upcast (withUpcasting), and upcasting twice is a
 * no-op, so a fold over a store read directly (tests, benchmarks) reads old events the same way.
 */
export function toProjectedEvent(asStored: StoredEvent): ProjectedEvent | undefined {
  if (!asStored.streamId.startsWith(CUSTOMER_STREAM_PREFIX)) return undefined;
  const stored = upcastEvent(asStored);
  assertWellFormed(stored);
  const metadata = stored.metadata as {
    occurredAt: string;
    recordedAt: string;
    actor: string;
    channel?: string;
    undated?: boolean;
  };
  const customerId = stored.streamId.slice(CUSTOMER_STREAM_PREFIX.length);
  return {
    type: stored.type,
    data: stored.data,
    eventId: stored.eventId,
    customerId,
    subjectId: customerId,
    streamRevision: stored.streamRevision,
    position: stored.position,
    occurredAt: metadata.occurredAt,
    recordedAt: metadata.recordedAt,
    actor: metadata.actor,
    channel: metadata.channel,
    ...(metadata.undated === true && { undated: true }),
    ...(stored.redactedAt && { redacted: true }),
  } as ProjectedEvent;
}

/** A malformed event that an in-memory fold (what-if, as-of) left out, as the live runner parks it. */
export interface SkippedEvent {
  readonly position: number;
  readonly eventId: string;
  readonly error: string;
}

/**
 * Like toProjectedEvent, for folds outside the runner: a malformed event is left out and reported in
 * `skipped` (position, id and the guard's message, never the value), so one bad event does not stop a replay.
 */
export function toProjectedEventOrSkip(
  stored: StoredEvent,
  skipped: SkippedEvent[],
): ProjectedEvent | undefined {
  try {
    return toProjectedEvent(stored);
  } catch (error) {
    if (!(error instanceof MalformedEventError)) throw error;
    skipped.push(skippedEvent(stored, error));
    return undefined;
  }
}

/** How an in-memory fold reports a malformed event it left out. */
export function skippedEvent(stored: StoredEvent, error: MalformedEventError): SkippedEvent {
  return { position: stored.position, eventId: stored.eventId, error: error.message };
}
