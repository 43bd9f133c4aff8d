import { hash } from 'node:crypto';
import stringify from 'safe-stable-stringify';
import { NewEvent, RecordedEvent } from './event-store.port';

/** prevHash of the first event of every stream. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * The canonical form of an event without its hash: JSON with keys sorted at every level (RFC 8785 style).
 * Built from the separately canonicalised data and metadata so that a store can keep those exact strings.
 */
export function canonicalEvent(
  event: NewEvent,
  streamId: string,
  streamRevision: number,
  dataJson = canonicalJson(event.data),
  metadataJson = canonicalJson(event.metadata),
): string {
  return (
    `{"data":${dataJson},"eventId":${JSON.stringify(event.eventId)},"metadata":${metadataJson},` +
    `"schemaVersion":${event.schemaVersion},"streamId":${JSON.stringify(streamId)},` +
    `"streamRevision":${streamRevision},"type":${JSON.stringify(event.type)}}`
  );
}

export function canonicalJson(value: unknown): string {
  return stringify(value) as string;
}

/** hash = SHA-256(prevHash + canonical event without hash), hex. */
export function chainHash(prevHash: string, canonical: string): string {
  return hash('sha256', prevHash + canonical, 'hex');
}

export interface ChainBreak {
  readonly streamId: string;
  readonly streamRevision: number;
  readonly position: number;
  readonly reason: string;
}

export interface VerificationReport {
  readonly ok: boolean;
  readonly streams: number;
  readonly events: number;
  /** Events whose data retention removed: linked by their hashes, their content no longer checkable. */
  readonly redacted?: number;
  /** The first break in position order, if any. */
  readonly firstBreak?: ChainBreak;
}

/**
 * Walks events in position order (one stream or the whole log) and recomputes every stream's chain.
 * Reports the first event whose hash, link to its predecessor or revision sequence does not hold. An event
 * redacted by retention keeps its stored hash: its link is checked, its removed content cannot be.
 */
export async function verifyChains(
  events: AsyncIterable<RecordedEvent> | Iterable<RecordedEvent>,
): Promise<VerificationReport> {
  const lastByStream = new Map<string, { revision: number; hash: string }>();
  let count = 0;
  let redacted = 0;
  for await (const event of events) {
    count++;
    if (event.redactedAt) redacted++;
    const previous = lastByStream.get(event.streamId);
    const expectedRevision = previous ? previous.revision + 1 : 0;
    const expectedPrevHash = previous ? previous.hash : GENESIS_HASH;
    const reason =
      event.streamRevision !== expectedRevision
        ? `revision ${event.streamRevision} follows ${expectedRevision - 1}: an event is missing or out of order`
        : event.prevHash !== expectedPrevHash
          ? 'prevHash does not match the hash of the previous event'
          : !event.redactedAt &&
              chainHash(event.prevHash, canonicalEvent(event, event.streamId, event.streamRevision)) !==
                event.hash
            ? 'hash does not match the event content'
            : undefined;
    if (reason) {
      return {
        ok: false,
        streams: lastByStream.size,
        events: count,
        firstBreak: {
          streamId: event.streamId,
          streamRevision: event.streamRevision,
          position: event.position,
          reason,
        },
      };
    }
    lastByStream.set(event.streamId, { revision: event.streamRevision, hash: event.hash });
  }
  return { ok: true, streams: lastByStream.size, events: count, ...(redacted > 0 && { redacted }) };
}
