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

/** An event ready to store: its id lower-cased (as every store gives it back), its revision and chain link. */
export interface ChainedEvent {
  readonly event: NewEvent;
  readonly streamRevision: number;
  /** The canonical JSON of data and metadata the hash was computed over: a store that keeps text keeps these. */
  readonly dataJson: string;
  readonly metadataJson: string;
  readonly prevHash: string;
  readonly hash: string;
}

/**
 * Chains events onto the end of a stream (`head`: its last revision and hash; undefined for a stream without
 * events): each event gets the next revision, the previous event's hash as prevHash and its own hash. One at a
 * time, as they are written: a store that writes each at once keeps no batch of them alive (a batch of a
 * thousand held at once outlived the young generation of the heap and cost about a fifth of the append).
 */
export function* chainEvents(
  streamId: string,
  head: { readonly revision: number; readonly hash: string } | undefined,
  events: readonly NewEvent[],
): Generator<ChainedEvent, void, undefined> {
  let streamRevision = head?.revision ?? -1;
  let prevHash = head?.hash ?? GENESIS_HASH;
  for (const original of events) {
    const event = { ...original, eventId: original.eventId.toLowerCase() };
    const dataJson = canonicalJson(event.data);
    const metadataJson = canonicalJson(event.metadata);
    streamRevision++;
    const hash = chainHash(prevHash, canonicalEvent(event, streamId, streamRevision, dataJson, metadataJson));
    yield { event, streamRevision, dataJson, metadataJson, prevHash, hash };
    prevHash = hash;
  }
}

/** Where verification found the first thing that does not hold, and why. */
export interface ChainBreak {
  /** The stream, when the break can be tied to one (a removed stream leaves only the counts to go by). */
  readonly streamId?: string;
  readonly streamRevision?: number;
  /** The log position of the event that does not hold, or of the first one missing. */
  readonly position?: number;
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
  /** When verified against a signed anchor: what the anchor vouched for. */
  readonly anchor?: {
    readonly position: number;
    readonly events: number;
    readonly streams: number;
    readonly createdAt: string;
    readonly keyId: string;
  };
}

/** Where a stream's chain ends so far in a walk. */
export interface ChainEnd {
  readonly revision: number;
  readonly hash: string;
  readonly position: number;
}

/**
 * Recomputes every stream's chain from events fed in position order, one at a time, so that a walk over the
 * whole log needs memory for one chain end per stream only. With `densePositions` (positions 1, 2, 3...), a
 * gap between positions is a break too.
 */
export class ChainWalk {
  private readonly ends = new Map<string, ChainEnd>();
  private lastPosition = 0;
  /** Events walked, the breaking one included. */
  private walked = 0;
  private redacted = 0;

  constructor(private readonly densePositions = false) {}

  /** Checks the next event of the walk; the break it makes, if any. */
  add(event: RecordedEvent): ChainBreak | undefined {
    this.walked++;
    const gap = this.densePositions && event.position !== this.lastPosition + 1;
    const previous = this.ends.get(event.streamId);
    const expectedRevision = previous ? previous.revision + 1 : 0;
    const expectedPrevHash = previous ? previous.hash : GENESIS_HASH;
    if (gap) {
      return {
        position: this.lastPosition + 1,
        reason:
          event.position > this.lastPosition + 1
            ? `no event at position ${this.lastPosition + 1}: the log goes on at ${event.position}, an event was removed`
            : `position ${event.position} follows ${this.lastPosition}: positions were changed`,
      };
    }
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
        streamId: event.streamId,
        streamRevision: event.streamRevision,
        position: event.position,
        reason,
      };
    }
    if (event.redactedAt) this.redacted++;
    this.lastPosition = event.position;
    this.ends.set(event.streamId, {
      revision: event.streamRevision,
      hash: event.hash,
      position: event.position,
    });
    return undefined;
  }

  /** Continues a stream's chain from where another walk left it: its next event must follow `end`. */
  resume(streamId: string, end: ChainEnd): void {
    this.ends.set(streamId, end);
  }

  /** Where the stream's chain ends so far; undefined when no event of it was walked. */
  end(streamId: string): ChainEnd | undefined {
    return this.ends.get(streamId);
  }

  /** Every stream walked so far, with where its chain ends. */
  entries(): IterableIterator<[string, ChainEnd]> {
    return this.ends.entries();
  }

  get streams(): number {
    return this.ends.size;
  }

  get events(): number {
    return this.walked;
  }

  /** The report: ok with the counts and redactions, or the given break with the counts walked up to it. */
  report(firstBreak?: ChainBreak): VerificationReport {
    if (firstBreak) return { ok: false, streams: this.streams, events: this.walked, firstBreak };
    return {
      ok: true,
      streams: this.streams,
      events: this.walked,
      ...(this.redacted > 0 && { redacted: this.redacted }),
    };
  }
}

/**
 * Walks events in position order (one stream or several) and recomputes every stream's chain.
 * Reports the first event whose hash, link to its predecessor or revision sequence does not hold. An event
 * redacted by retention keeps its stored hash: its link is checked, its removed content cannot be.
 */
export async function verifyChains(
  events: AsyncIterable<RecordedEvent> | Iterable<RecordedEvent>,
): Promise<VerificationReport> {
  const walk = new ChainWalk();
  for await (const event of events) {
    const broken = walk.add(event);
    if (broken) return walk.report(broken);
  }
  return walk.report();
}
