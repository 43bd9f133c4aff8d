import { upcastEvent } from '../domain/event-upcasters';
import { VersionedEvent } from '../domain/upcasting';
import {
  AppendRequest,
  AppendResult,
  EventLocation,
  EventStore,
  LogSummary,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  RetentionRule,
  StreamHead,
  StreamMetadata,
  SubscribeOptions,
  SubscriptionMessage,
} from './event-store.port';

/** Each upcasting store's store underneath. */
const storedUnder = new WeakMap<EventStore, EventStore>();

/**
 * The EventStore as every reader of the service sees it: each event read (a stream, the log, a subscription)
 * comes in its type's current schema version, upcast from the version it was written in. The composition root
 * binds EVENT_STORE to this, so no reader can get an event in an old shape. Stored events never change: appends
 * and everything else pass through, and each event read keeps its stored ids, metadata and hashes. Only hash
 * verification needs the events as written: storedEventsOf.
 */
export function withUpcasting(
  store: EventStore,
  upcast: <Event extends VersionedEvent>(event: Event) => Event = upcastEvent,
): EventStore {
  if (storedUnder.has(store)) return store;
  const upcasting = new UpcastingEventStore(store, upcast);
  storedUnder.set(upcasting, store);
  return upcasting;
}

/** The events exactly as written (the bytes the hash chains cover): the store under withUpcasting, if any. */
export function storedEventsOf(store: EventStore): EventStore {
  return storedUnder.get(store) ?? store;
}

/** Whether events read from this store come upcast. */
export function isUpcasting(store: EventStore): boolean {
  return storedUnder.has(store);
}

class UpcastingEventStore implements EventStore {
  constructor(
    private readonly stored: EventStore,
    private readonly upcast: <Event extends VersionedEvent>(event: Event) => Event,
  ) {}

  append(requests: readonly AppendRequest[]): Promise<AppendResult[]> {
    return this.stored.append(requests);
  }

  async readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    return (await this.stored.readStream(streamId, options)).map(this.upcast);
  }

  async readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    return (await this.stored.readAll(options)).map(this.upcast);
  }

  async *subscribeToAll(options?: SubscribeOptions): AsyncIterable<SubscriptionMessage> {
    for await (const message of this.stored.subscribeToAll(options)) {
      yield message.kind === 'event' ? { kind: 'event', event: this.upcast(message.event) } : message;
    }
  }

  findEvents(eventIds: readonly string[]): Promise<Map<string, EventLocation>> {
    return this.stored.findEvents(eventIds);
  }

  streamRevision(streamId: string): Promise<number> {
    return this.stored.streamRevision(streamId);
  }

  lastPosition(): Promise<number> {
    return this.stored.lastPosition();
  }

  logSummary(): Promise<LogSummary> {
    return this.stored.logSummary();
  }

  streamHead(streamId: string): Promise<StreamHead | undefined> {
    return this.stored.streamHead(streamId);
  }

  streamHeads(): AsyncIterable<StreamHead> {
    return this.stored.streamHeads();
  }

  applyRetention(rules: readonly RetentionRule[], now: Date): Promise<Record<string, number>> {
    return this.stored.applyRetention(rules, now);
  }

  getStreamMetadata(streamId: string): Promise<StreamMetadata | undefined> {
    return this.stored.getStreamMetadata(streamId);
  }

  setStreamMetadata(streamId: string, metadata: StreamMetadata): Promise<void> {
    return this.stored.setStreamMetadata(streamId, metadata);
  }

  close(): Promise<void> {
    return this.stored.close();
  }
}
