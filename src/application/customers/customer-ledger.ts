import { Inject, Injectable, Optional } from '@nestjs/common';
import { Attribution } from '../../ports/attribution';
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
} from '../../ports/event-store.port';
import { ERASED_VALUE, PiiCipher, SubjectErasedError } from '../../privacy/pii-cipher';
import { LedgerMetrics } from '../metrics';
import {
  CustomerCommand,
  CustomerState,
  decide,
  evolve,
  initialCustomerState,
  isMergeCommand,
  requestedEvent,
  withAbsorbed,
} from '../../domain/customer.decider';
import {
  CustomerEvent,
  customerIdOfStream,
  customerStreamId,
  newCustomerIdProblem,
  PII_FIELDS,
  schemaVersionOf,
} from '../../domain/customer-events';
import { DomainError, RejectedCommands } from '../../domain/domain-error';
import { survivorOfRecord } from '../read-models/merged-records';
import { firstDifference } from '../../domain/event-identity';
import { findProblemBeforeAppend } from '../../../projections/event-guard';
import { FieldProblem, RequestValidationError } from '../../validation/request-validation';

/** One command for one customer with the client's recording fields. */
export interface CommandEnvelope {
  readonly customerId: string;
  readonly command: CustomerCommand;
  readonly eventId?: string;
  readonly channel?: string;
  readonly correlationId?: string;
  /** The client sent no occurredAt: the server's clock gave it, so a retry is not compared on it. */
  readonly occurredAtDefaulted?: boolean;
  /** The source has no date for the fact: occurredAt is when it was recorded, and metadata says so. */
  readonly undated?: boolean;
}

/** Who records, on whose request, and when (the server's clock, passed in). */
export interface RecordingContext {
  readonly actor: string;
  /** The person's name and how they authenticated, kept beside `actor` (docs/staff-sign-in.md). */
  readonly attribution?: Attribution;
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
        if (error instanceof WrongExpectedRevisionError) {
          this.streams.delete(error.streamId);
          if (attempt < MAX_ATTEMPTS) continue;
          // Nothing was recorded: the client's retry (same event ids) is safe and will likely get through.
          throw new DomainError(
            'busy',
            'customer-contended',
            `${error.streamId} kept changing under ${MAX_ATTEMPTS} attempts to record this: nothing was recorded, retry`,
          );
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
    const loaded = await this.loadFollowingMerges(pendingByStream);
    const decided: DecidedStream[] = [];
    const rejected: { index: number; error: DomainError }[] = [];
    for (const [streamId, pending] of pendingByStream) {
      decided.push(
        await this.decideStream(streamId, loaded.get(streamId)!, pending, context.now, fieldPath, rejected),
      );
    }
    if (rejected.length === 1) throw rejected[0]!.error;
    if (rejected.length > 1) {
      throw new RejectedCommands(rejected.sort((a, b) => a.index - b.index).map(({ error }) => error));
    }
    if (decided.length === 0) return outcomes as RecordedOutcome[];

    const results = await this.store.append(await this.appendRequests(decided, context, fieldPath));
    // A concurrent request with the same event id got there first: the same body or a conflict, as above.
    for (const [streamIndex, result] of results.entries()) {
      for (const [eventIndex, appended] of result.events.entries()) {
        const { index, envelope, firstOfCommand } = decided[streamIndex]!.items[eventIndex]!;
        if (appended.duplicate && firstOfCommand) {
          await this.checkSameBody(envelope, result.streamId, appended.streamRevision, fieldPath(index));
        }
      }
    }
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

  /**
   * Decides a stream's commands in order, each against the state the previous ones left. A command that
   * breaks a rule is reported and leaves the state as it was, so every broken rule of a batch is found.
   */
  private async decideStream(
    streamId: string,
    loaded: LoadedStream,
    pending: readonly Pending[],
    now: Date,
    fieldPath: (index: number) => string,
    rejected: { index: number; error: DomainError }[],
  ): Promise<DecidedStream> {
    let state = await this.withAbsorbedRecords(loaded.state);
    const items: DecidedItem[] = [];
    for (const { index, envelope } of pending) {
      let events: CustomerEvent[];
      try {
        events = decide(envelope.command, state, now);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        rejected.push({ index, error: error.under(fieldPath(index)) });
        continue;
      }
      events.forEach((event, eventIndex) => {
        state = evolve(state, event);
        items.push({ index, envelope, event, firstOfCommand: eventIndex === 0 });
      });
    }
    return { streamId, expectedRevision: loaded.revision < 0 ? 'no_stream' : loaded.revision, state, items };
  }

  /**
   * The decided events as stored: metadata added, checked against the event catalog's stored shape (the one
   * the projections hold every event to), personal data encrypted.
   */
  private async appendRequests(
    decided: readonly DecidedStream[],
    context: RecordingContext,
    fieldPath: (index: number) => string,
  ): Promise<AppendRequest[]> {
    const items = decided.flatMap((stream) =>
      stream.items.map((item) => ({
        ...item,
        streamId: stream.streamId,
        newStream: stream.expectedRevision === 'no_stream',
      })),
    );
    const plainEvents = items.map((item) =>
      toNewEvent(item, item.event.data as Record<string, unknown>, context),
    );
    refuseMalformed(items, plainEvents, fieldPath);
    const storedData = await this.cipher.encryptFields(
      items.map(({ envelope, event }, position) => ({
        subjectId: envelope.customerId,
        fields: PII_FIELDS[event.type],
        data: plainEvents[position]!.data,
      })),
    );
    const newEvents = plainEvents.map((event, position) => ({ ...event, data: storedData[position]! }));
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
    return Promise.all(
      envelopes.map(async (envelope, index) => {
        const location = envelope.eventId ? found.get(envelope.eventId.toLowerCase()) : undefined;
        if (!location) return undefined;
        if (
          location.streamId !== customerStreamId(envelope.customerId) &&
          (isMergeCommand(envelope.command) ||
            location.streamId !== customerStreamId(await survivorOfRecord(this.store, envelope.customerId)))
        ) {
          throw new DomainError(
            'conflict',
            'event-id-reused',
            `event id ${envelope.eventId} is already used in another customer's stream`,
            `${fieldPath(index)}eventId`,
          );
        }
        // Recorded on the survivor of a merge: compared (and decrypted) as the survivor's.
        const recorded = { ...envelope, customerId: customerIdOfStream(location.streamId) };
        await this.checkSameBody(recorded, location.streamId, location.streamRevision, fieldPath(index));
        return {
          customerId: recorded.customerId,
          eventId: location.eventId,
          streamRevision: location.streamRevision,
          position: location.position,
          duplicate: true,
        };
      }),
    );
  }

  /**
   * An event id is bound to one body: the stored event must be what this request asks for (personal data
   * decrypted for the comparison only; fields whose key was destroyed cannot be compared). 409 naming the id
   * and the first differing field otherwise.
   */
  private async checkSameBody(
    envelope: CommandEnvelope,
    streamId: string,
    streamRevision: number,
    fieldPathPrefix: string,
  ): Promise<void> {
    const [stored] = await this.store.readStream(streamId, { fromRevision: streamRevision, maxCount: 1 });
    if (!stored) return;
    const piiFields = PII_FIELDS[stored.type as CustomerEvent['type']] ?? [];
    const data = await this.cipher.decryptFields(envelope.customerId, piiFields, stored.data);
    const requested = requestedEvent(envelope.command);
    const differing = firstDifference(
      {
        type: stored.type,
        data,
        occurredAt: String(stored.metadata.occurredAt),
        channel: stored.metadata.channel as string | undefined,
        correlationId: stored.metadata.correlationId as string | undefined,
      },
      {
        type: requested.type,
        data: requested.data as Record<string, unknown>,
        occurredAt: envelope.occurredAtDefaulted ? undefined : envelope.command.occurredAt.toISOString(),
        channel: envelope.channel,
        correlationId: envelope.correlationId,
      },
      piiFields.filter((field) => data[field] === ERASED_VALUE),
    );
    if (differing === undefined) return;
    const field = fieldPathPrefix + clientField(envelope.command, differing);
    throw new DomainError(
      'conflict',
      'event-id-reused',
      `event id ${stored.eventId} was recorded with another body: ${field} differs (a retry must resend the same body; a new fact needs a new event id)`,
      field,
    );
  }

  /**
   * Loads every stream the commands go to. A record merged into another takes no commands of its own: they go
   * to the survivor (to the end of a chain of merges), so the duplicate's id keeps working for writers.
   */
  private async loadFollowingMerges(
    pendingByStream: Map<string, Pending[]>,
  ): Promise<Map<string, LoadedStream>> {
    const loaded = new Map<string, LoadedStream>();
    const unloaded = [...pendingByStream.keys()];
    while (unloaded.length > 0) {
      const streamId = unloaded.pop()!;
      const stream = loaded.get(streamId) ?? (await this.load(streamId));
      loaded.set(streamId, stream);
      const survivorId = stream.state.mergedInto;
      const pending = pendingByStream.get(streamId) ?? [];
      const redirected = pending.filter(({ envelope }) => !isMergeCommand(envelope.command));
      if (survivorId === undefined || redirected.length === 0) continue;
      const kept = pending.filter(({ envelope }) => isMergeCommand(envelope.command));
      if (kept.length > 0) pendingByStream.set(streamId, kept);
      else pendingByStream.delete(streamId);
      const survivorStream = customerStreamId(survivorId);
      pendingByStream.set(
        survivorStream,
        [
          ...(pendingByStream.get(survivorStream) ?? []),
          ...redirected.map(({ index, envelope }) => ({
            index,
            envelope: { ...envelope, customerId: survivorId },
          })),
        ].sort((a, b) => a.index - b.index),
      );
      unloaded.push(survivorStream);
    }
    return loaded;
  }

  /** A survivor decides with what its absorbed records brought (their complaints); they never change again. */
  private async withAbsorbedRecords(state: CustomerState): Promise<CustomerState> {
    if (state.absorbed.length === 0) return state;
    const absorbed = await Promise.all(
      state.absorbed.map(async (id) =>
        this.withAbsorbedRecords((await this.load(customerStreamId(id))).state),
      ),
    );
    return withAbsorbed(state, absorbed);
  }

  private async load(streamId: string): Promise<LoadedStream> {
    const cached = this.streams.get(streamId) ?? {
      state: initialCustomerState(customerIdOfStream(streamId)),
      revision: -1,
    };
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
    schemaVersion: schemaVersionOf(event.type),
    data,
    metadata: {
      occurredAt: envelope.command.occurredAt.toISOString(),
      recordedAt: context.now.toISOString(),
      actor: context.actor,
      ...context.attribution,
      channel: envelope.channel,
      correlationId: envelope.correlationId ?? context.correlationId,
      causationId: context.causationId,
      ...(envelope.undated && { undated: true }),
    },
  };
}

/**
 * Refuses, before anything is stored, every event that breaks the stored shape (a null where the catalog has
 * text, an unsafe integer, a stream name outside the id pattern) and every new stream named by personal data
 * (newCustomerIdProblem): each named as the client's body names it.
 * Every door's validation should have refused these already; this is the one place no door can bypass.
 */
function refuseMalformed(
  items: readonly (DecidedItem & { streamId: string; newStream: boolean })[],
  events: readonly NewEvent[],
  fieldPath: (index: number) => string,
): void {
  const problems: FieldProblem[] = [];
  items.forEach(({ streamId, newStream, index, envelope }, position) => {
    const idProblem = newStream ? newCustomerIdProblem(customerIdOfStream(streamId)) : undefined;
    if (idProblem) {
      problems.push({ field: `${fieldPath(index)}customerId`, message: `customerId ${idProblem}` });
      return;
    }
    const problem = findProblemBeforeAppend(streamId, events[position]!);
    if (!problem) return;
    const field =
      problem.path === 'streamId'
        ? 'customerId'
        : problem.path.startsWith('metadata.')
          ? problem.path.slice('metadata.'.length)
          : clientField(envelope.command, problem.path);
    problems.push({ field: fieldPath(index) + field, message: `${field} ${problem.reason}` });
  });
  if (problems.length > 0) throw new RequestValidationError(problems);
}

/** A differing field of the stored event named as the client's body names it. */
function clientField(command: CustomerCommand, storedPath: string): string {
  const path = storedPath.replace(/\.amountMinor\b/g, '.amount');
  if (command.kind === 'RecordTouchpoint') return path;
  if (command.kind === 'RecordConsent' && path === 'type') return 'granted';
  return path.replace(/^data\./, '');
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
