import { Inject, Injectable, OnApplicationBootstrap, Optional } from '@nestjs/common';
import {
  AppendResult,
  EVENT_STORE,
  EventIdConflictError,
  EventStore,
  WrongExpectedRevisionError,
} from '../../ports/event-store.port';
import { READ_STORE, ReadStore } from '../../ports/read-store.port';
import { PiiCipher, SubjectErasedError } from '../../privacy/pii-cipher';
import { EmailDirectory } from '../../privacy/email-directory';
import { LedgerMetrics } from '../metrics';
import { decide, evolve } from '../../domain/customer.decider';
import { CustomerEvent, customerStreamId, emailRecordedBy } from '../../domain/customer-events';
import { DomainError, RejectedCommands } from '../../domain/domain-error';
import {
  CommandEnvelope,
  DecidedItem,
  DecidedStream,
  Pending,
  RecordedOutcome,
  RecordingContext,
  rejectRepeatedEventIds,
} from './command-envelope';
import { CustomerStreams, LoadedStream } from './customer-streams';
import { absorbing, loadFollowingMerges } from './merge-routing';
import { MergeAppends } from './merge-appends';
import { RetriedCommands } from './retried-commands';
import { StoredEvents } from './stored-events';

export type { CommandEnvelope, RecordedOutcome, RecordingContext } from './command-envelope';

const MAX_ATTEMPTS = 5;

/**
 * The one command path of the ledger, for any number of commands at once:
 *
 *     state  = events.reduce(evolve, initialState)     CustomerStreams (cached by stream revision)
 *     events = decide(command, state)                  the pure domain
 *     append(streamId, events, expected revision)      the event store
 *
 * around which named collaborators do the rest: RetriedCommands answers a command whose event id is stored
 * already (idempotency), loadFollowingMerges routes a merged-away record's commands to its survivor,
 * StoredEvents checks the stored shape and encrypts personal data, EmailDirectory indexes every e-mail address
 * an event records. A lost race for a stream's revision is decided again, up to MAX_ATTEMPTS times.
 */
@Injectable()
export class CustomerLedger implements OnApplicationBootstrap {
  private readonly streams: CustomerStreams;
  private readonly retries: RetriedCommands;
  private readonly stored: StoredEvents;
  private readonly mergeAppends: MergeAppends;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    cipher: PiiCipher,
    private readonly emailDirectory: EmailDirectory,
    @Inject(READ_STORE) reads: ReadStore,
    @Optional() private readonly metrics?: LedgerMetrics,
  ) {
    this.streams = new CustomerStreams(store);
    this.retries = new RetriedCommands(store, cipher);
    this.stored = new StoredEvents(cipher);
    this.mergeAppends = new MergeAppends(reads);
  }

  /** At startup: merges a crash left between their two appends are completed (see MergeAppends). */
  async onApplicationBootstrap(): Promise<void> {
    await this.mergeAppends.prepare();
    await this.completeUnfinishedMerges(new Date());
  }

  async execute(
    envelopes: readonly CommandEnvelope[],
    context: RecordingContext,
  ): Promise<RecordedOutcome[]> {
    const fieldPath = context.fieldPath ?? (() => '');
    rejectRepeatedEventIds(envelopes, fieldPath);
    for (let attempt = 1; ; attempt++) {
      try {
        const outcomes = await this.record(envelopes, context, fieldPath);
        for (const outcome of outcomes)
          this.metrics?.eventsRecorded.inc({ outcome: outcome.duplicate ? 'duplicate' : 'appended' });
        return outcomes;
      } catch (error) {
        if (error instanceof WrongExpectedRevisionError) {
          this.streams.forget(error.streamId);
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

  /** Load, decide, append: one attempt at recording the commands. */
  private async record(
    envelopes: readonly CommandEnvelope[],
    context: RecordingContext,
    fieldPath: (index: number) => string,
  ): Promise<RecordedOutcome[]> {
    const outcomes = await this.retries.alreadyRecorded(envelopes, fieldPath);
    const pendingByStream = byStream(envelopes, outcomes);
    const loaded = await loadFollowingMerges(this.streams, pendingByStream, context.now);
    const decided = decideStreams(pendingByStream, loaded, context.now, fieldPath);
    if (decided.length === 0) return outcomes as RecordedOutcome[];
    await this.indexEmails(decided);
    const requests = await this.stored.appendRequests(decided, context, fieldPath);
    const results = await this.mergeAppends.append(this.store, requests, context);
    await this.retries.checkConcurrentDuplicates(decided, results, fieldPath);
    return this.remember(decided, results, outcomes);
  }

  /**
   * Every e-mail address the events record, indexed before the append in one commit (a stale entry is checked
   * on lookup).
   */
  private async indexEmails(decided: readonly DecidedStream[]): Promise<void> {
    await this.emailDirectory.add(
      decided.flatMap(({ items }) =>
        items.flatMap(({ envelope, event }) => {
          const email = emailRecordedBy(event);
          return email === undefined ? [] : [{ customerId: envelope.customerId, email }];
        }),
      ),
    );
  }

  /** The decided states cached for the next command; each client command's outcome. */
  private remember(
    decided: readonly DecidedStream[],
    results: readonly AppendResult[],
    outcomes: (RecordedOutcome | undefined)[],
  ): RecordedOutcome[] {
    results.forEach((result, streamIndex) => {
      const { streamId, state, items } = decided[streamIndex]!;
      // A duplicate means another writer stored part of this: the decided state may not be the stored one.
      if (result.events.some((event) => event.duplicate)) this.streams.forget(streamId);
      else this.streams.remember(streamId, { state, revision: result.streamRevision });
      result.events.forEach((appended, eventIndex) => {
        const { index, envelope } = items[eventIndex]!;
        if (index >= 0) outcomes[index] ??= { customerId: envelope.customerId, ...appended };
      });
    });
    return outcomes as RecordedOutcome[];
  }

  /**
   * Completes the merges written down but not struck out: where the duplicate was closed into the survivor, the
   * survivor's CustomerMerged is recorded (with the merge's event id, in the name of who asked for the merge:
   * recorded once, whoever completes it first); where it was not, the merge never happened and nothing is
   * left to undo. Either way the merge is struck out.
   */
  async completeUnfinishedMerges(now: Date): Promise<void> {
    for (const merge of await this.mergeAppends.list()) {
      const { survivorId, duplicateId, context } = merge;
      const duplicate = await this.streams.load(customerStreamId(duplicateId));
      if (duplicate.state.mergedInto === survivorId) {
        // A rule that refuses the survivor's half now (the survivor erased since) leaves nothing more to do.
        await this.execute([absorbing(survivorId, duplicateId, now)], { ...context, now }).catch(
          (error: unknown) => {
            if (!(error instanceof DomainError || error instanceof RejectedCommands)) throw error;
          },
        );
      }
      await this.mergeAppends.end([merge]);
    }
  }
}

/** The envelopes not recorded yet, by the stream of their customer, in request order. */
function byStream(
  envelopes: readonly CommandEnvelope[],
  outcomes: readonly (RecordedOutcome | undefined)[],
): Map<string, Pending[]> {
  const pendingByStream = new Map<string, Pending[]>();
  envelopes.forEach((envelope, index) => {
    if (outcomes[index]) return;
    const streamId = customerStreamId(envelope.customerId);
    pendingByStream.set(streamId, [...(pendingByStream.get(streamId) ?? []), { index, envelope }]);
  });
  return pendingByStream;
}

/**
 * Decides each stream's commands in order, each against the state the previous ones left. A command that
 * breaks a rule is reported and leaves the state as it was, so every broken rule of a batch is found; they
 * are thrown together once every stream is decided. (The command path's own completion of an unfinished merge
 * is left out when its rule does not hold, rather than reported.)
 */
function decideStreams(
  pendingByStream: ReadonlyMap<string, readonly Pending[]>,
  loaded: ReadonlyMap<string, LoadedStream>,
  now: Date,
  fieldPath: (index: number) => string,
): DecidedStream[] {
  const decided: DecidedStream[] = [];
  const rejected: { index: number; error: DomainError }[] = [];
  for (const [streamId, pending] of pendingByStream) {
    const { state: loadedState, revision } = loaded.get(streamId)!;
    let state = loadedState;
    const items: DecidedItem[] = [];
    for (const { index, envelope } of pending) {
      let events: CustomerEvent[];
      try {
        events = decide(envelope.command, state, now);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        if (index >= 0) rejected.push({ index, error: error.under(fieldPath(index)) });
        continue;
      }
      events.forEach((event, eventIndex) => {
        state = evolve(state, event);
        items.push({ index, envelope, event, firstOfCommand: eventIndex === 0 });
      });
    }
    if (items.length > 0 || pending.some(({ index }) => index >= 0)) {
      decided.push({ streamId, expectedRevision: revision < 0 ? 'no_stream' : revision, state, items });
    }
  }
  if (rejected.length === 1) throw rejected[0]!.error;
  if (rejected.length > 1) {
    throw new RejectedCommands(rejected.sort((a, b) => a.index - b.index).map(({ error }) => error));
  }
  return decided;
}
