import { Inject, Injectable, Optional } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { v7 as uuidv7 } from 'uuid';
import {
  AppendRequest,
  EVENT_STORE,
  EventIdConflictError,
  EventStore,
  ExpectedRevision,
  NewEvent,
  RecordedEvent,
  WrongExpectedRevisionError,
} from '../event-store/event-store.port';
import { PiiCipher, SubjectErasedError } from '../gdpr/pii-cipher';
import { LedgerMetrics } from '../metrics/metrics';
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

interface Pending {
  readonly index: number;
  readonly envelope: CommandEnvelope;
}

interface DecidedItem extends Pending {
  readonly event: CustomerEvent;
  /** The first event of its command carries the client's event id; further ones get their own. */
  readonly firstOfCommand: boolean;
}

interface DecidedStream {
  readonly streamId: string;
  readonly expectedRevision: ExpectedRevision;
  readonly state: CustomerState;
  readonly items: readonly DecidedItem[];
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
    @Optional() private readonly metrics?: LedgerMetrics,
  ) {}

  async execute(
    envelopes: readonly CommandEnvelope[],
    context: RecordingContext,
  ): Promise<RecordedOutcome[]> {
    const fieldPath = context.fieldPath ?? (() => '');
    rejectRepeatedEventIds(envelopes, fieldPath);
    for (let attempt = 1; ; attempt++) {
      try {
        const outcomes = await this.attempt(envelopes, context, fieldPath);
        for (const outcome of outcomes)
          this.metrics?.eventsRecorded.inc({ outcome: outcome.duplicate ? 'duplicate' : 'appended' });
        return outcomes;
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
    const pendingByStream = new Map<string, Pending[]>();
    envelopes.forEach((envelope, index) => {
      if (outcomes[index]) return;
      const streamId = customerStreamId(envelope.customerId);
      const pending = pendingByStream.get(streamId) ?? [];
      pending.push({ index, envelope });
      pendingByStream.set(streamId, pending);
    });
    const decided: DecidedStream[] = [];
    for (const [streamId, pending] of pendingByStream) {
      decided.push(await this.decideStream(streamId, pending, context.now, fieldPath));
    }
    if (decided.length === 0) return outcomes as RecordedOutcome[];

    const results = await this.store.append(await this.appendRequests(decided, context));
    results.forEach((result, streamIndex) => {
      const { streamId, state, items } = decided[streamIndex]!;
      // A duplicate means another writer stored part of this: the decided state may not be the stored one.
      if (result.events.some((event) => event.duplicate)) this.streams.delete(streamId);
      else this.streams.set(streamId, { state, revision: result.streamRevision });
      result.events.forEach((appended, eventIndex) => {
        const { index, envelope } = items[eventIndex]!;
        outcomes[index] ??= { customerId: envelope.customerId, ...appended };
      });
    });
    return outcomes as RecordedOutcome[];
  }

  /** Decides a stream's commands in order, each against the state the previous ones left. */
  private async decideStream(
    streamId: string,
    pending: readonly Pending[],
    now: Date,
    fieldPath: (index: number) => string,
  ): Promise<DecidedStream> {
    const loaded = await this.load(streamId);
    let state = loaded.state;
    const items: DecidedItem[] = [];
    for (const { index, envelope } of pending) {
      let events: CustomerEvent[];
      try {
        events = decide(envelope.command, state, now);
      } catch (error) {
        throw error instanceof DomainError ? error.under(fieldPath(index)) : error;
      }
      events.forEach((event, eventIndex) => {
        state = evolve(state, event);
        items.push({ index, envelope, event, firstOfCommand: eventIndex === 0 });
      });
    }
    return { streamId, expectedRevision: loaded.revision < 0 ? 'no_stream' : loaded.revision, state, items };
  }

  /** The decided events as stored: personal data encrypted, metadata added. */
  private async appendRequests(
    decided: readonly DecidedStream[],
    context: RecordingContext,
  ): Promise<AppendRequest[]> {
    const items = decided.flatMap((stream) => stream.items);
    const storedData = await this.cipher.encryptFields(
      items.map(({ envelope, event }) => ({
        subjectId: envelope.customerId,
        fields: PII_FIELDS[event.type],
        data: event.data as Record<string, unknown>,
      })),
    );
    const newEvents = items.map((item, position) => toNewEvent(item, storedData[position]!, context));
    let offset = 0;
    return decided.map(({ streamId, expectedRevision, items: streamItems }) => {
      const events = newEvents.slice(offset, offset + streamItems.length);
      offset += streamItems.length;
      return { streamId, expectedRevision, events };
    });
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

function toNewEvent(
  { envelope, event, firstOfCommand }: DecidedItem,
  data: Record<string, unknown>,
  context: RecordingContext,
): NewEvent {
  return {
    eventId: (firstOfCommand && envelope.eventId?.toLowerCase()) || uuidv7(),
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
