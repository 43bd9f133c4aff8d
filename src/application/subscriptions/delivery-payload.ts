import { RecordedEvent } from '../../ports/event-store.port';
import { SubscriptionFormat } from './subscription';

/** A stored customer event made ready for one subscription: personal data decrypted or left out. */
export interface OutboundEvent {
  readonly event: RecordedEvent;
  readonly customerId: string;
  /** The event's data as delivered: as stored, with personal-data fields decrypted or removed. */
  readonly data: Record<string, unknown>;
  /** Personal-data fields the event holds that were left out (names only). */
  readonly omittedFields: readonly string[];
}

/** A request body and its media type. */
export interface Payload {
  readonly contentType: string;
  readonly body: string;
}

/** CloudEvents `source`: the ledger's customer streams, which the subject (the customer id) narrows down. */
export const CLOUDEVENTS_SOURCE = '/ledger/customers';
/** CloudEvents `type` prefix: `ledger.customer.PurchaseCompleted` (reverse-DNS style, as the spec advises). */
export const CLOUDEVENTS_TYPE_PREFIX = 'ledger.customer.';

/**
 * The body of one delivery. It depends on the event alone (no send time, no attempt number), so a retry or a
 * replay sends the same bytes under the same event id and receivers can compare or drop duplicates.
 */
export function payloadOf(format: SubscriptionFormat, outbound: OutboundEvent): Payload {
  switch (format) {
    case 'ledger':
      return { contentType: 'application/json', body: JSON.stringify(ledgerEnvelope(outbound)) };
    case 'cloudevents':
      return {
        contentType: 'application/cloudevents+json; charset=utf-8',
        body: JSON.stringify(cloudEvent(outbound)),
      };
  }
}

/** The ledger's own shape: the stored event's envelope and data (money in minor units, as stored). */
export function ledgerEnvelope({ event, customerId, data, omittedFields }: OutboundEvent) {
  const metadata = event.metadata as Record<string, string | undefined>;
  return {
    eventId: event.eventId,
    type: event.type,
    schemaVersion: event.schemaVersion,
    customerId,
    streamId: event.streamId,
    streamRevision: event.streamRevision,
    position: event.position,
    occurredAt: metadata.occurredAt,
    recordedAt: metadata.recordedAt,
    ...(metadata.channel !== undefined && { channel: metadata.channel }),
    ...(metadata.correlationId !== undefined && { correlationId: metadata.correlationId }),
    ...(metadata.causationId !== undefined && { causationId: metadata.causationId }),
    data,
    ...(omittedFields.length > 0 && { omittedFields }),
    ...(event.redactedAt !== undefined && { redacted: true }),
  };
}

/**
 * A structured-mode CloudEvents 1.0 document. The ledger's envelope goes into extension attributes (lower-case
 * names, as the spec requires); `position` is a string because CloudEvents integers stop at 2^31 and
 * EventStoreDB positions do not.
 */
export function cloudEvent({ event, customerId, data, omittedFields }: OutboundEvent) {
  const metadata = event.metadata as Record<string, string | undefined>;
  return {
    specversion: '1.0',
    id: event.eventId,
    source: CLOUDEVENTS_SOURCE,
    type: CLOUDEVENTS_TYPE_PREFIX + event.type,
    subject: customerId,
    time: metadata.occurredAt,
    datacontenttype: 'application/json',
    data,
    position: String(event.position),
    streamrevision: event.streamRevision,
    schemaversion: event.schemaVersion,
    recordedat: metadata.recordedAt,
    ...(metadata.channel !== undefined && { channel: metadata.channel }),
    ...(metadata.correlationId !== undefined && { correlationid: metadata.correlationId }),
    ...(omittedFields.length > 0 && { omittedfields: omittedFields.join(',') }),
    ...(event.redactedAt !== undefined && { redacted: true }),
  };
}
