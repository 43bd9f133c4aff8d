import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { v7 as uuidv7 } from 'uuid';
import {
  AppendRequest,
  EVENT_STORE,
  EventIdConflictError,
  EventStore,
  NewEvent,
  RecordedEvent,
  WrongExpectedRevisionError,
} from '../event-store/event-store.port';
import { PiiCipher, SubjectErasedError } from '../gdpr/pii-cipher';
import {
  CustomerCommand,
  CustomerState,
  decide,
  evolve,
  initialCustomerState,
} from './domain/customer.decider';
import {
  CUSTOMER_EVENT_SCHEMA_VERSION,
  CustomerEvent,
  customerStreamId,
  PII_FIELDS,
} from './domain/customer-events';
import { DomainError } from './domain/domain-error';

/** One command for one customer with the client's recording fields. */
export interface CommandEnvelope {
  readonly customerId: string;
  readonly command: CustomerCommand;
  readonly eventId?: string;
  readonly channel?: string;
  readonly correlationId?: string;
}

/** Who records, on whose request, and when (the server's clock, passed in). */
export interface RecordingContext {
  readonly actor: string;
  readonly causationId: string;
  readonly correlationId: string;
  readonly now: Date;
  /** Field path of the n-th envelope in the request, for error messages (`touchpoints[3].`). */
  readonly fieldPath?: (index: number) => string;
}

export interface RecordedOutcome {
  readonly customerId: string;
  readonly eventId: string;
  readonly streamRevision: number;
  readonly position: number;
  readonly duplicate: boolean;
}

interface LoadedStream {
  readonly state: CustomerState;
  readonly revision: number;
}

const MAX_ATTEMPTS = 5;

/**
 * The one command path of the ledger: load each customer's stream -> decide -> encrypt personal data ->
 * append with the expected revision, for any number of commands atomically. Retries on a concurrent write.
 * Decided states are cached by stream revision; a cached state is brought up to date by reading the events
 * after its revision, so writers in other processes are safe.
 */
@Injectable()
export class CustomerLedger {
  private readonly streams = new LRUCache<string, LoadedStream>({ max: 100_000 });

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly cipher: PiiCipher,
  ) {}

  async execute(
    envelopes: readonly CommandEnvelope[],
    context: RecordingContext,
  ): Promise<RecordedOutcome[]> {
    const fieldPath = context.fieldPath ?? (() => '');
    rejectRepeatedEventIds(envelopes, fieldPath);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(envelopes, context, fieldPath);
      } catch (error) {
        if (error instanceof WrongExpectedRevisionError && attempt < MAX_ATTEMPTS) {
          this.streams.delete(error.streamId);
          continue;
        }
        if (error instanceof EventIdConflictError) {
          const index = envelopes.findIndex((envelope) => envelope.eventId?.toLowerCase() === error.eventId);
          throw new DomainError('conflict', 'event-id-reused', error.message, `${fieldPath(index)}eventId`);
        }
        if (error instanceof SubjectErasedError) {
          throw new DomainError(
            'gone',
            'customer-erased',
            'this customer was erased and accepts no new data',
          );
        }
        throw error;
      }
    }
  }

  private async attempt(
    envelopes: readonly CommandEnvelope[],
    context: RecordingContext,
    fieldPath: (index: number) => string,
  ): Promise<RecordedOutcome[]> {
    const outcomes: (RecordedOutcome | undefined)[] = await this.alreadyRecorded(envelopes, fieldPath);
    const byStream = new Map<string, { index: number; envelope: CommandEnvelope }[]>();
    envelopes.forEach((envelope, index) => {
      if (outcomes[index]) return;
      const streamId = customerStreamId(envelope.customerId);
      byStream.set(streamId, [...(byStream.get(streamId) ?? []), { index, envelope }]);
    });

    const decided: {
      streamId: string;
      loaded: LoadedStream;
      state: CustomerState;
      items: { index: number; envelope: CommandEnvelope; event: CustomerEvent }[];
    }[] = [];
    for (const [streamId, items] of byStream) {
      const loaded = await this.load(streamId);
      let state = loaded.state;
      const decidedItems = [];
      for (const { index, envelope } of items) {
        let events: CustomerEvent[];
        try {
          events = decide(envelope.command, state, context.now);
        } catch (error) {
          throw error instanceof DomainError ? error.under(fieldPath(index)) : error;
        }
        for (const event of events) {
          state = evolve(state, event);
          decidedItems.push({ index, envelope, event });
        }
      }
      decided.push({ streamId, loaded, state, items: decidedItems });
    }
    if (decided.length === 0) return outcomes as RecordedOutcome[];

    const allItems = decided.flatMap((stream) => stream.items);
    const storedData = await this.cipher.encryptFields(
      allItems.map(({ envelope, event }) => ({
        subjectId: envelope.customerId,
        fields: PII_FIELDS[event.type],
        data: event.data as Record<string, unknown>,
      })),
    );
    let next = 0;
    const requests: AppendRequest[] = decided.map(({ streamId, loaded, items }) => ({
      streamId,
      expectedRevision: loaded.revision < 0 ? 'no_stream' : loaded.revision,
      events: items.map(({ envelope, event }, position) =>
        toNewEvent(
          envelope,
          event,
          storedData[next++]!,
          context,
          position === 0 || isFirstOfEnvelope(items, position),
        ),
      ),
    }));

    const results = await this.store.append(requests);
    results.forEach((result, streamIndex) => {
      const { streamId, state, items } = decided[streamIndex]!;
      const anyDuplicate = result.events.some((event) => event.duplicate);
      if (anyDuplicate) this.streams.delete(streamId);
      else this.streams.set(streamId, { state, revision: result.streamRevision });
      result.events.forEach((appended, eventIndex) => {
        const { index, envelope } = items[eventIndex]!;
        outcomes[index] ??= { customerId: envelope.customerId, ...appended };
      });
    });
    return outcomes as RecordedOutcome[];
  }

  /** Commands whose client event id is stored already: their original outcome, marked duplicate. */
  private async alreadyRecorded(
    envelopes: readonly CommandEnvelope[],
    fieldPath: (index: number) => string,
  ): Promise<(RecordedOutcome | undefined)[]> {
    const eventIds = envelopes.flatMap((envelope) => (envelope.eventId ? [envelope.eventId] : []));
    const found = eventIds.length > 0 ? await this.store.findEvents(eventIds) : new Map();
    return envelopes.map((envelope, index) => {
      const location = envelope.eventId ? found.get(envelope.eventId.toLowerCase()) : undefined;
      if (!location) return undefined;
      if (location.streamId !== customerStreamId(envelope.customerId)) {
        throw new DomainError(
          'conflict',
          'event-id-reused',
          `event id ${envelope.eventId} is already used in another customer's stream`,
          `${fieldPath(index)}eventId`,
        );
      }
      return {
        customerId: envelope.customerId,
        eventId: location.eventId,
        streamRevision: location.streamRevision,
        position: location.position,
        duplicate: true,
      };
    });
  }

  private async load(streamId: string): Promise<LoadedStream> {
    const cached = this.streams.get(streamId) ?? { state: initialCustomerState, revision: -1 };
    const newer = await this.store.readStream(streamId, { fromRevision: cached.revision + 1 });
    if (newer.length === 0) return cached;
    return {
      state: newer.reduce(
        (state, event) => evolve(state, event as RecordedEvent & CustomerEvent),
        cached.state,
      ),
      revision: newer[newer.length - 1]!.streamRevision,
    };
  }
}

function isFirstOfEnvelope(items: readonly { index: number }[], position: number): boolean {
  return items[position]!.index !== items[position - 1]!.index;
}

function toNewEvent(
  envelope: CommandEnvelope,
  event: CustomerEvent,
  data: Record<string, unknown>,
  context: RecordingContext,
  usesClientEventId: boolean,
): NewEvent {
  return {
    eventId: (usesClientEventId && envelope.eventId?.toLowerCase()) || uuidv7(),
    type: event.type,
    schemaVersion: CUSTOMER_EVENT_SCHEMA_VERSION,
    data,
    metadata: {
      occurredAt: envelope.command.occurredAt.toISOString(),
      recordedAt: context.now.toISOString(),
      actor: context.actor,
      channel: envelope.channel,
      correlationId: envelope.correlationId ?? context.correlationId,
      causationId: context.causationId,
    },
  };
}

function rejectRepeatedEventIds(
  envelopes: readonly CommandEnvelope[],
  fieldPath: (index: number) => string,
): void {
  const seen = new Set<string>();
  envelopes.forEach((envelope, index) => {
    const eventId = envelope.eventId?.toLowerCase();
    if (!eventId) return;
    if (seen.has(eventId)) {
      throw new DomainError(
        'invalid',
        'repeated-event-id',
        'this event id appears twice in the request',
        `${fieldPath(index)}eventId`,
      );
    }
    seen.add(eventId);
  });
}
