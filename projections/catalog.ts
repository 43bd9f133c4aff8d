import { customerSummaryProjection } from './customer-summary.projection';
import { funnelProjection } from './funnel.projection';
import { loyaltyProjection } from './loyalty.projection';
import { CUSTOMER_STREAM_PREFIX, ProjectedEvent, Projection } from './projection';
import { timelineProjection } from './timeline.projection';

/** Every read model the service maintains. */
export const PROJECTIONS: readonly Projection<object>[] = [
  timelineProjection,
  customerSummaryProjection,
  loyaltyProjection,
  funnelProjection,
] as Projection<object>[];

/** A stored event as projections see it, or undefined for events of other streams (access logs). */
export function toProjectedEvent(stored: {
  eventId: string;
  streamId: string;
  streamRevision: number;
  position: number;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  redactedAt?: string;
}): ProjectedEvent | undefined {
  if (!stored.streamId.startsWith(CUSTOMER_STREAM_PREFIX)) return undefined;
  const metadata = stored.metadata as {
    occurredAt: string;
    recordedAt: string;
    actor: string;
    channel?: string;
  };
  return {
    type: stored.type,
    data: stored.data,
    eventId: stored.eventId,
    customerId: stored.streamId.slice(CUSTOMER_STREAM_PREFIX.length),
    streamRevision: stored.streamRevision,
    position: stored.position,
    occurredAt: metadata.occurredAt,
    recordedAt: metadata.recordedAt,
    actor: metadata.actor,
    channel: metadata.channel,
    ...(stored.redactedAt && { redacted: true }),
  } as ProjectedEvent;
}
