import {
  AppendedEvent,
  AppendRequest,
  AppendResult,
  EventLocation,
  NewEvent,
  WrongExpectedRevisionError,
} from './event-store.port';

/**
 * The rules of an append that every event-store adapter keeps, written once: idempotency by event id and the
 * answer to a stale expected revision. Adapters find where events are stored and write; these decide what that
 * comes to. (The hash chain the events are written with is in hash-chain.ts: `chainEvents`.)
 */

/** Where each event of a request is stored already, in the request's order; undefined for one not stored. */
export type StoredEvents = readonly (EventLocation | undefined)[];

/**
 * Whether an event id found stored (in `found`) is the event appended again: the same id may be appended again
 * to the same stream with the same type (it is then a duplicate), anywhere else it is an EventIdConflictError.
 */
export function isSameEvent(
  streamId: string,
  event: NewEvent,
  found: Pick<EventLocation, 'streamId' | 'type'>,
): boolean {
  return found.streamId === streamId && found.type === event.type;
}

/**
 * The answer to a request whose expected revision does not hold (the stream's last revision is `actual`): when
 * every one of its events is stored in this stream already, it is a retry of an append that succeeded, and gets
 * the original result; otherwise WrongExpectedRevisionError is thrown.
 */
export function answerStaleRequest(
  request: AppendRequest,
  actual: number,
  stored: StoredEvents,
): AppendResult {
  if (request.events.length > 0 && stored.every((location) => location !== undefined)) {
    return {
      streamId: request.streamId,
      streamRevision: actual,
      events: stored.map((location) => duplicateOf(location!)),
    };
  }
  throw new WrongExpectedRevisionError(request.streamId, request.expectedRevision, actual);
}

/** The events of a request that are not stored yet, in order; throws when one id appears twice among them. */
export function freshEvents(request: AppendRequest, stored: StoredEvents): NewEvent[] {
  const fresh = request.events.filter((_, index) => stored[index] === undefined);
  assertDistinctIds(request.streamId, fresh);
  return fresh;
}

/** Throws when one event id (in any case) appears twice among events to append together. */
export function assertDistinctIds(streamId: string, events: readonly NewEvent[]): void {
  if (new Set(events.map((event) => event.eventId.toLowerCase())).size !== events.length) {
    throw new Error(`stream ${streamId}: the same event id appears twice in one append`);
  }
}

/**
 * The result of an append, in the request's order: each event stored already as a duplicate with its original
 * revision and position, the others as `appended` (the fresh events, in order).
 */
export function appendResult(
  streamId: string,
  streamRevision: number,
  stored: StoredEvents,
  appended: readonly AppendedEvent[],
): AppendResult {
  let next = 0;
  return {
    streamId,
    streamRevision,
    events: stored.map((location) => (location ? duplicateOf(location) : appended[next++]!)),
  };
}

/** An event appended now, at its place. */
export function appendedAt(
  location: Pick<EventLocation, 'eventId' | 'streamRevision' | 'position'>,
): AppendedEvent {
  return {
    eventId: location.eventId,
    streamRevision: location.streamRevision,
    position: location.position,
    duplicate: false,
  };
}

/** An event whose id was stored already: nothing appended, its original revision and position. */
function duplicateOf(location: EventLocation): AppendedEvent {
  return {
    eventId: location.eventId,
    streamRevision: location.streamRevision,
    position: location.position,
    duplicate: true,
  };
}
