import { setTimeout as delay } from 'node:timers/promises';
import { eventsOfMergedRecords, survivorOfRecord } from './merged-records';
import { foldEvents } from '../../../projections/fold';
import { customerIdOfStream, customerStreamId } from '../../domain/customer-events';
import type { Logger } from 'pino';
import { toProjectedEvent } from '../../../projections/catalog';
import { MalformedEventError } from '../../../projections/event-guard';
import { FigureBucket, figureDeltas, withDelta } from '../../../projections/population-figure';
import { ProjectedEvent, Projection } from '../../../projections/projection';
import { EventStore, RecordedEvent } from '../../ports/event-store.port';
import { CollectionWrites, DocumentWrite, ReadStore } from '../../ports/read-store.port';
import { batchesOf } from './subscription-batches';

export const PROJECTION_ENGINE = Symbol('PROJECTION_ENGINE');

interface ActiveGeneration {
  readonly generation: number;
  readonly version: number;
}

/** The most recent event a projection parked, in the shape /health reports. */
export interface PoisonEvent {
  readonly position: number;
  readonly eventId: string;
  readonly type: string;
  readonly error: string;
  readonly at: string;
}

/**
 * An event a projection could not fold: malformed (refused by the event guard, for every projection alike)
 * or one its `evolve` threw on. Kept in the read store, committed with the batch that met it, until a retry
 * folds it.
 */
export interface ParkedEvent {
  readonly position: number;
  readonly eventId: string;
  readonly type: string;
  readonly streamId: string;
  readonly projection: string;
  /** Why it was parked; never the event's values (they may be personal data). */
  readonly error: string;
  readonly parkedAt: string;
  /** Set when a retry met the event and it still failed (with the error of that retry). */
  readonly retriedAt?: string;
}

/** What a retry of one projection's parked events did. */
export interface RetryReport {
  readonly projection: string;
  /** Parked events retried. */
  readonly retried: number;
  /** Of those, folded now and no longer parked. */
  readonly folded: number;
  /** Of those, still failing (parked with the retry's error). */
  readonly stillParked: number;
  /** Events the re-derived documents met that failed although they had folded before (now parked too). */
  readonly newlyParked: number;
}

/** A retry was asked of a process that does not fold (LEDGER_PROJECTIONS=off): the projector must do it. */
export class NotFoldingError extends Error {
  constructor() {
    super('this process does not fold projections (LEDGER_PROJECTIONS=off): retry where the projector runs');
    this.name = 'NotFoldingError';
  }
}

/** One projection writing one generation of its collection. */
interface Target {
  readonly projection: Projection<object>;
  readonly generation: number;
  position: number;
  caughtUp: boolean;
  /** A generation filled from position 0 gets its indexes once it has caught up. */
  indexesPending: boolean;
}

export interface ProjectionStatus {
  readonly name: string;
  readonly version: number;
  readonly generation: number;
  /** `idle`: this process serves reads but does not fold (LEDGER_PROJECTIONS=off; a projector does). */
  readonly status: 'catching-up' | 'live' | 'idle' | 'stopped';
  readonly position: number;
  readonly lag: number;
  /** The most recently parked event still parked. */
  readonly lastError?: PoisonEvent;
  /** Parked events of the live generation, oldest first: all of them counted, the first 100 listed. */
  readonly parked: { readonly count: number; readonly events: readonly ParkedEvent[] };
  readonly rebuild?: {
    readonly generation: number;
    readonly position: number;
    readonly lag: number;
    readonly startedAt: string;
  };
}

interface PositionWaiter {
  readonly position: number;
  settle(reached: boolean): void;
}

/**
 * Events folded and committed in one transaction at most. Profiled at 1000 and 5000 on a rebuild: the same
 * CPU (a commit costs by the pages it writes, not per transaction) and 40 MiB more peak RSS at 5000.
 */
const BATCH_SIZE = 1000;
/** How long live events are gathered before they are folded: the projection lag a busy service accepts. */
const LIVE_LINGER_MS = 20;
/** How many parked events a status lists (all are counted). */
const PARKED_LISTED = 100;
/** A process that does not fold reads checkpoints for waitFor: first soon, then at most this often. */
const CHECKPOINT_POLL_MAX_MS = 100;
/** A lane that failed (the store unreachable, say) folds again after a pause, doubling up to the maximum. */
const LANE_RETRY_FIRST_MS = 100;
const LANE_RETRY_MAX_MS = 5000;

export const collectionName = (name: string, generation: number) => `${name}_g${generation}`;
const checkpointName = (name: string, generation: number) => `${name}@g${generation}`;
const stateKey = (name: string) => `projection:${name}`;
/** Parked events live next to the generation that parked them: a rebuild starts its own list. */
export const parkedCollectionName = (name: string, generation: number) =>
  collectionName(`parked-${name}`, generation);
/** A population figure's buckets live next to the generation of the documents they are counted from. */
export const figureCollectionName = (name: string, figure: string, generation: number) =>
  collectionName(`${name}-${figure}`, generation);
const PARKED_INDEXES = [[['position', 1]]] as const;

/**
 * Keeps read models up to date: reads the event store from each projection's checkpoint (catch-up, then
 * live), folds batches with the projections' pure `evolve`, and commits documents and checkpoints together.
 * A crash at any point loses nothing and double-counts nothing: what was not committed is folded again.
 * An event a projection cannot fold is parked (in the same commit) and skipped; `retryParked` tries again.
 * Rebuilds write a new generation of a collection while the old one keeps serving, then switch (blue/green).
 * A projection version that differs from the stored one starts such a rebuild by itself.
 */
export class ProjectionEngine {
  private readonly live = new Map<string, Target>();
  private readonly rebuilding = new Map<string, Target & { startedAt: string }>();
  private readonly lanes = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  /** Readers waiting for a position to be folded (read-your-writes), settled as folds commit. */
  private readonly waiters = new Set<PositionWaiter>();
  /** Folding and switching generations take turns, so a switch never meets a half-applied batch. */
  private turn: Promise<unknown> = Promise.resolve();
  private folding = false;

  constructor(
    private readonly events: EventStore,
    private readonly reads: ReadStore,
    private readonly projections: readonly Projection<object>[],
    private readonly logger: Logger,
  ) {}

  /**
   * Loads each projection's active generation and, unless `fold` is false (a service instance that only
   * serves reads and ingest while a projector process folds), starts folding.
   */
  async start({ fold = true }: { fold?: boolean } = {}): Promise<void> {
    const stale: string[] = [];
    for (const projection of this.projections) {
      let active = await this.reads.getState<ActiveGeneration>(stateKey(projection.name));
      if (!active) {
        active = { generation: 1, version: projection.version };
        await this.reads.setState(stateKey(projection.name), active);
      } else if (active.version !== projection.version) {
        stale.push(projection.name);
      }
      const position = await this.reads.checkpoint(checkpointName(projection.name, active.generation));
      await this.reads.ensureCollection(
        collectionName(projection.name, active.generation),
        projection.indexes,
        {
          deferIndexes: position === 0,
        },
      );
      await this.ensureCompanions(projection, active.generation);
      this.live.set(projection.name, {
        projection,
        generation: active.generation,
        position,
        caughtUp: false,
        indexesPending: position === 0,
      });
    }
    if (!fold) return;
    this.folding = true;
    this.runLane([...this.live.values()]);
    if (stale.length > 0) {
      this.logger.warn({ projections: stale }, 'projection versions changed: rebuilding them');
      await this.rebuild(stale);
    }
  }

  async stop(): Promise<void> {
    this.abort.abort();
    for (const waiter of [...this.waiters]) waiter.settle(false);
    await Promise.all(this.lanes);
  }

  /** The collection queries should read for a projection: its active generation. */
  collection(name: string): string {
    const target = this.live.get(name);
    if (!target) throw new Error(`unknown projection ${name}`);
    return collectionName(name, target.generation);
  }

  /** The collection of a projection's population figure, in its active generation. */
  figureCollection(name: string, figure: string): string {
    const target = this.live.get(name);
    if (!target) throw new Error(`unknown projection ${name}`);
    return figureCollectionName(name, figure, target.generation);
  }

  names(): string[] {
    return this.projections.map((projection) => projection.name);
  }

  /** Whether this process folds (a process started with `fold: false` only reads what a projector folds). */
  get folds(): boolean {
    return this.folding;
  }

  /** Starts rebuilding the named projections from position 0 into new generations; returns at once. */
  async rebuild(names: readonly string[]): Promise<void> {
    const targets: (Target & { startedAt: string })[] = [];
    for (const name of names) {
      const live = this.live.get(name);
      if (!live) throw new Error(`unknown projection ${name}`);
      if (this.rebuilding.has(name)) continue;
      const generation = live.generation + 1;
      await this.dropGeneration(live.projection, generation);
      await this.reads.ensureCollection(collectionName(name, generation), live.projection.indexes, {
        deferIndexes: true,
      });
      await this.ensureCompanions(live.projection, generation);
      await this.reads.commit([], { [checkpointName(name, generation)]: 0 });
      const target = {
        projection: live.projection,
        generation,
        position: 0,
        caughtUp: false,
        indexesPending: true,
        startedAt: new Date().toISOString(),
      };
      this.rebuilding.set(name, target);
      targets.push(target);
    }
    if (targets.length > 0) this.runLane(targets, (target) => this.switchTo(target));
  }

  /**
   * Each projection's generation, status, position, lag and parked events. A process that does not fold
   * reads positions (and generation switches) from the read store first, where the projector commits them.
   */
  async status(): Promise<ProjectionStatus[]> {
    if (!this.folding && !this.abort.signal.aborted) await this.refreshFromStore();
    const head = await this.events.lastPosition();
    return Promise.all(
      this.projections.map(async (projection) => {
        const live = this.live.get(projection.name)!;
        const rebuild = this.rebuilding.get(projection.name);
        const parked = await this.parkedEvents(live);
        const latest = parked.reduce<ParkedEvent | undefined>(
          (last, event) => (last === undefined || event.parkedAt > last.parkedAt ? event : last),
          undefined,
        );
        return {
          name: projection.name,
          version: projection.version,
          generation: live.generation,
          status: this.abort.signal.aborted
            ? 'stopped'
            : !this.folding
              ? 'idle'
              : live.caughtUp
                ? 'live'
                : 'catching-up',
          position: live.position,
          lag: Math.max(0, head - live.position),
          lastError: latest && {
            position: latest.position,
            eventId: latest.eventId,
            type: latest.type,
            error: latest.error,
            at: latest.retriedAt ?? latest.parkedAt,
          },
          parked: { count: parked.length, events: parked.slice(0, PARKED_LISTED) },
          rebuild: rebuild && {
            generation: rebuild.generation,
            position: rebuild.position,
            lag: Math.max(0, head - rebuild.position),
            startedAt: rebuild.startedAt,
          },
        };
      }),
    );
  }

  /** Resolves once every live projection has folded the log up to its current head (for tests and the CLI). */
  async caughtUp(timeoutMs = 30_000): Promise<void> {
    const head = await this.events.lastPosition();
    const deadline = Date.now() + timeoutMs;
    const behind = (target: Target) => !target.caughtUp || target.position < head;
    while ([...this.live.values()].some(behind) || this.rebuilding.size > 0) {
      if (Date.now() > deadline) throw new Error('projections did not catch up in time');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /**
   * Read-your-writes: resolves true once every live projection has folded the log up to `position`, false
   * when `timeoutMs` passes first (or the engine stops). A folding process is woken by its own commits; a
   * process that does not fold reads the checkpoints a projector commits, a little less often each time.
   */
  async waitFor(position: number, timeoutMs: number): Promise<boolean> {
    if (this.abort.signal.aborted) return this.foldedPosition() >= position;
    if (!this.folding) return this.pollCheckpoints(position, timeoutMs);
    if (this.foldedPosition() >= position) return true;
    return new Promise<boolean>((resolve) => {
      const waiter: PositionWaiter = {
        position,
        settle: (reached) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(reached);
        },
      };
      const timer = setTimeout(() => waiter.settle(false), timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /**
   * Tries the parked events of the named projections (all when none) again, after a fix. Documents are
   * idempotent by position, so an old event folded into a newer document would be a no-op: instead each
   * document a parked event touches is derived anew by folding its whole customer stream again, in order,
   * up to the projection's checkpoint (timeline documents are one per event). Events that fold now leave
   * the parked list; those that still fail stay with the new error. Runs between batches, in one commit.
   */
  async retryParked(names: readonly string[] = this.names()): Promise<RetryReport[]> {
    if (!this.folding) throw new NotFoldingError();
    const targets = names.map((name) => {
      const target = this.live.get(name);
      if (!target) throw new Error(`unknown projection ${name}`);
      return target;
    });
    return this.exclusively(async () => {
      const reports: RetryReport[] = [];
      for (const target of targets) reports.push(await this.retryTarget(target));
      return reports;
    });
  }

  /**
   * Runs a lane until the engine stops. A lane that fails (a read or a commit refused: the database
   * restarting, a lost connection) starts again after a pause from its targets' committed positions: what
   * the failed batch did not commit is folded again, and folding an event twice is a no-op. Without this a
   * projector would live on without folding anything after the store's first hiccup.
   */
  private runLane(targets: Target[], onCaughtUp?: (target: Target) => Promise<void>): void {
    const folded = () => Math.min(...targets.map((target) => target.position));
    const lane = (async () => {
      // Failures in a row without progress: each doubles the pause.
      for (let failures = 0; !this.abort.signal.aborted;) {
        const from = folded();
        try {
          await this.lane(targets, onCaughtUp);
          return;
        } catch (error) {
          if (this.abort.signal.aborted) return;
          failures = folded() > from ? 1 : failures + 1;
          const pauseMs = Math.min(LANE_RETRY_MAX_MS, LANE_RETRY_FIRST_MS * 2 ** Math.min(failures - 1, 10));
          this.logger.error(
            { err: error, projections: targets.map((t) => t.projection.name), retryInMs: pauseMs },
            'projection lane failed; folding again from the last checkpoint',
          );
          await pause(pauseMs, this.abort.signal);
        }
      }
    })();
    this.lanes.add(lane);
    void lane.finally(() => this.lanes.delete(lane));
  }

  private async lane(targets: Target[], onCaughtUp?: (target: Target) => Promise<void>): Promise<void> {
    const from = Math.min(...targets.map((target) => target.position));
    const subscription = this.events.subscribeToAll({ afterPosition: from, signal: this.abort.signal });
    for await (const batch of batchesOf(subscription, BATCH_SIZE, LIVE_LINGER_MS)) {
      const active = targets.filter((target) => this.owns(target));
      if (active.length === 0) return;
      if (batch.events.length > 0) await this.exclusively(() => this.fold(active, batch.events));
      // The embedded stores answer synchronously: yield so that requests are served during a long catch-up.
      await new Promise((resolve) => setImmediate(resolve));
      if (batch.caughtUp) {
        for (const target of active) {
          if (target.indexesPending) {
            await this.reads.buildIndexes(collectionName(target.projection.name, target.generation));
            target.indexesPending = false;
          }
          target.caughtUp = true;
          if (onCaughtUp) await this.exclusively(() => onCaughtUp(target));
        }
      }
    }
  }

  /** Whether a target still writes a generation in use (a finished or superseded one stops). */
  private owns(target: Target): boolean {
    const name = target.projection.name;
    return this.live.get(name) === target || this.rebuilding.get(name) === target;
  }

  private async fold(targets: Target[], stored: RecordedEvent[]): Promise<void> {
    const { events, refused } = project(stored);
    this.logRefused(refused);
    const merges = await this.mergedRecordsOf(events);
    const lastPosition = stored[stored.length - 1]!.position;
    const parkedAt = new Date().toISOString();
    const writes: CollectionWrites[] = [];
    const checkpoints: Record<string, number> = {};
    for (const target of targets) {
      const { projection } = target;
      const parked: ParkedEvent[] = refused
        .filter(({ event }) => event.position > target.position)
        .map(({ event, error }) => parkedEvent(projection.name, event, error, parkedAt));
      const relevant = events.filter((event) => event.position > target.position);
      const ids = relevant.map((event) => projection.documentId(event));
      const collection = collectionName(projection.name, target.generation);
      // A document of its own per event is made from the event alone: there is nothing to load.
      const existing = projection.documentPerEvent
        ? new Map<string, object>()
        : await this.reads.getMany<object>(
            collection,
            ids.filter((id): id is string => id !== undefined),
          );
      const { documents: changed, failures } = foldEvents(
        projection,
        relevant,
        (id) => existing.get(id) ?? null,
        merges,
      );
      for (const { event, error, inMerge } of failures) {
        parked.push(parkedEvent(projection.name, identityOf(event), error, parkedAt));
        if (inMerge) continue;
        this.logger.error(
          { projection: projection.name, position: event.position, eventId: event.eventId, err: error },
          'projection failed on an event; parked it',
        );
      }
      writes.push({ collection, writes: [...changed].map(([id, doc]) => ({ id, doc })) });
      // Every id the batch looked up is known as committed: found, or absent (a new document).
      const committed = new Map(
        ids.filter((id): id is string => id !== undefined).map((id) => [id, existing.get(id) ?? null]),
      );
      writes.push(...(await this.figureWrites(target, changed, committed)));
      if (parked.length > 0) {
        writes.push({
          collection: parkedCollectionName(projection.name, target.generation),
          writes: parked.map((event) => ({ id: parkedId(event.position), doc: event })),
        });
      }
      checkpoints[checkpointName(projection.name, target.generation)] = lastPosition;
    }
    await this.reads.commit(writes, checkpoints);
    for (const target of targets) target.position = lastPosition;
    this.settleWaiters();
  }

  /** For each merge among the events: every event of the survivor's merged records up to it. */
  private async mergedRecordsOf(events: readonly ProjectedEvent[]): Promise<Map<number, ProjectedEvent[]>> {
    const merges = new Map<number, ProjectedEvent[]>();
    for (const event of events) {
      if (event.type !== 'CustomerMerged') continue;
      const upToPosition = event.position;
      merges.set(upToPosition, await eventsOfMergedRecords(this.events, event.customerId, { upToPosition }));
    }
    return merges;
  }

  /** Logs a malformed event by its place, field path and reason only: never a value. */
  private logRefused(refused: readonly { event: RecordedEvent; error: unknown }[]): void {
    for (const { event, error } of refused) {
      this.logger.error(
        {
          position: event.position,
          eventId: event.eventId,
          type: event.type,
          ...(error instanceof MalformedEventError && { field: error.path, reason: error.reason }),
        },
        'malformed event: every projection parked it',
      );
    }
  }

  /** One projection's retry (see retryParked): runs inside `exclusively`, so its checkpoint stands still. */
  private async retryTarget(target: Target): Promise<RetryReport> {
    const { projection } = target;
    const parked = await this.parkedEvents(target);
    const retriedAt = new Date().toISOString();
    const rederived = new Map<string, object | null>();
    const parkedWrites: DocumentWrite[] = [];
    let folded = 0;
    let stillParked = 0;
    let newlyParked = 0;
    // A parked event's documents belong to the customer its record stands for now, with every merged record.
    const customers = new Map<string, string>();
    for (const { streamId } of parked) {
      if (!customers.has(streamId)) {
        customers.set(streamId, await survivorOfRecord(this.events, customerIdOfStream(streamId)));
      }
    }
    for (const [customerId, parkedHere] of groupBy(parked, (event) => customers.get(event.streamId)!)) {
      const parkedByPosition = new Map(parkedHere.map((event) => [event.position, event]));
      const refused: { event: RecordedEvent; error: unknown }[] = [];
      const events = await eventsOfMergedRecords(
        this.events,
        customerId,
        { upToPosition: target.position },
        (event, error) => refused.push({ event, error }),
      );
      const failures = new Map<number, { event: EventIdentity; error: unknown }>(
        refused.map((failure) => [failure.event.position, failure]),
      );
      const touched = new Set(
        events
          .filter((event) => parkedByPosition.has(event.position))
          .map((event) => projection.documentId(event))
          .filter((id): id is string => id !== undefined),
      );
      // A document of its own per event needs only that event; any other one every event of its customer.
      const refolded = projection.documentPerEvent
        ? events.filter((event) => parkedByPosition.has(event.position))
        : events.filter((event) => touched.has(projection.documentId(event) ?? ''));
      const { documents, failures: failed } = foldEvents(projection, refolded);
      for (const { event, error } of failed)
        failures.set(event.position, { event: identityOf(event), error });
      touched.forEach((id) => rederived.set(id, documents.get(id) ?? null));

      for (const [position, event] of parkedByPosition) {
        const failure = failures.get(position);
        if (failure) {
          stillParked++;
          parkedWrites.push({
            id: parkedId(position),
            doc: { ...event, error: String(failure.error), retriedAt } satisfies ParkedEvent,
          });
        } else {
          folded++;
          parkedWrites.push({ id: parkedId(position), doc: null });
        }
      }
      // Re-derived documents no longer hold an event that fails now, although it folded before.
      if (touched.size > 0 && !projection.documentPerEvent) {
        for (const [position, failure] of failures) {
          if (parkedByPosition.has(position)) continue;
          newlyParked++;
          parkedWrites.push({
            id: parkedId(position),
            doc: parkedEvent(projection.name, failure.event, failure.error, retriedAt),
          });
        }
      }
    }
    if (parked.length > 0) {
      await this.reads.commit(
        [
          {
            collection: collectionName(projection.name, target.generation),
            writes: [...rederived].map(([id, doc]) => ({ id, doc })),
          },
          ...(await this.figureWrites(target, rederived)),
          { collection: parkedCollectionName(projection.name, target.generation), writes: parkedWrites },
        ],
        {},
      );
    }
    const report = { projection: projection.name, retried: parked.length, folded, stillParked, newlyParked };
    if (parked.length > 0) this.logger.info(report, 'retried parked events');
    return report;
  }

  /**
   * The buckets of a target's population figures once `changed` documents are committed: each document's
   * contributions as committed (`known`: null for a document not stored; others read now) taken away and its
   * new ones added, in the same commit.
   */
  private async figureWrites(
    target: Target,
    changed: ReadonlyMap<string, object | null>,
    known: ReadonlyMap<string, object | null> = new Map(),
  ): Promise<CollectionWrites[]> {
    const { projection, generation } = target;
    if (!projection.figures?.length || changed.size === 0) return [];
    const collection = collectionName(projection.name, generation);
    const unknown = [...changed.keys()].filter((id) => !known.has(id));
    const read = unknown.length > 0 ? await this.reads.getMany<object>(collection, unknown) : new Map();
    const changes = [...changed].map(
      ([id, after]) => [(known.has(id) ? known.get(id) : read.get(id)) ?? null, after] as const,
    );
    return Promise.all(
      projection.figures.map(async (figure) => {
        const deltas = figureDeltas(figure, changes);
        const figureCollection = figureCollectionName(projection.name, figure.name, generation);
        const stored = await this.reads.getMany<FigureBucket>(figureCollection, [...deltas.keys()]);
        const writes = [...deltas].map(([bucket, delta]) => ({
          id: bucket,
          doc: withDelta(bucket, stored.get(bucket), delta),
        }));
        return { collection: figureCollection, writes };
      }),
    );
  }

  /** The collections a generation keeps beside its documents: parked events and population figures. */
  private async ensureCompanions(projection: Projection<object>, generation: number): Promise<void> {
    await this.reads.ensureCollection(parkedCollectionName(projection.name, generation), PARKED_INDEXES);
    for (const figure of projection.figures ?? []) {
      await this.reads.ensureCollection(figureCollectionName(projection.name, figure.name, generation), []);
    }
  }

  private async dropGeneration(projection: Projection<object>, generation: number): Promise<void> {
    await this.reads.dropCollection(collectionName(projection.name, generation));
    await this.reads.dropCollection(parkedCollectionName(projection.name, generation));
    for (const figure of projection.figures ?? []) {
      await this.reads.dropCollection(figureCollectionName(projection.name, figure.name, generation));
    }
  }

  /** Every parked event of a target's generation, oldest first. */
  private async parkedEvents(target: Target): Promise<ParkedEvent[]> {
    return this.reads.find<ParkedEvent>(parkedCollectionName(target.projection.name, target.generation), {
      sort: [['position', 1]],
    });
  }

  /** A rebuilt generation caught up: it becomes the live one and the old generation is dropped. */
  private async switchTo(target: Target): Promise<void> {
    const name = target.projection.name;
    const previous = this.live.get(name)!;
    await this.reads.setState(stateKey(name), {
      generation: target.generation,
      version: target.projection.version,
    });
    this.live.set(name, target);
    this.rebuilding.delete(name);
    await this.dropGeneration(previous.projection, previous.generation);
    this.settleWaiters();
    this.logger.info(
      { projection: name, generation: target.generation, position: target.position },
      'projection rebuilt and switched',
    );
  }

  /** The position every live projection has folded up to. */
  private foldedPosition(): number {
    return Math.min(...[...this.live.values()].map((target) => target.position));
  }

  private settleWaiters(): void {
    if (this.waiters.size === 0) return;
    const folded = this.foldedPosition();
    for (const waiter of [...this.waiters]) if (waiter.position <= folded) waiter.settle(true);
  }

  /** waitFor in a process that does not fold: the projector's checkpoints, read with a growing pause. */
  private async pollCheckpoints(position: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (let pause = 5; ; pause = Math.min(pause * 2, CHECKPOINT_POLL_MAX_MS)) {
      if ((await this.refreshFromStore()) >= position) return true;
      const left = deadline - Date.now();
      if (left <= 0 || this.abort.signal.aborted) return false;
      await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
    }
  }

  /**
   * A process that does not fold learns from the read store what the projector committed: each projection's
   * active generation (a rebuild may have switched it) and its checkpoint. Returns the lowest position.
   */
  private async refreshFromStore(): Promise<number> {
    for (const projection of this.projections) {
      const active = await this.reads.getState<ActiveGeneration>(stateKey(projection.name));
      const known = this.live.get(projection.name)!;
      const generation = active?.generation ?? known.generation;
      const position = await this.reads.checkpoint(checkpointName(projection.name, generation));
      if (generation === known.generation) known.position = position;
      else this.live.set(projection.name, { ...known, generation, position });
    }
    return this.foldedPosition();
  }

  private exclusively<T>(work: () => Promise<T>): Promise<T> {
    const result = this.turn.then(work);
    this.turn = result.catch(() => undefined);
    return result;
  }
}

/**
 * Stored events as projected events, checked once for every projection alike (toProjectedEvent), and the
 * refused ones with their error: anything the conversion throws on is parked rather than stopping the lane.
 */
function project(stored: readonly RecordedEvent[]): {
  events: ProjectedEvent[];
  refused: { event: RecordedEvent; error: unknown }[];
} {
  const events: ProjectedEvent[] = [];
  const refused: { event: RecordedEvent; error: unknown }[] = [];
  for (const event of stored) {
    try {
      const projected = toProjectedEvent(event);
      if (projected) events.push(projected);
    } catch (error) {
      refused.push({ event, error });
    }
  }
  return { events, refused };
}

/** Parked events are keyed by position: an event parked again (a crash before the checkpoint) overwrites. */
const parkedId = (position: number) => String(position);

/** What a parked event records of the event itself: where it is, never its data. */
type EventIdentity = Pick<RecordedEvent, 'position' | 'eventId' | 'type' | 'streamId'>;

function parkedEvent(
  projection: string,
  event: EventIdentity,
  error: unknown,
  parkedAt: string,
): ParkedEvent {
  return {
    position: event.position,
    eventId: event.eventId,
    type: event.type,
    streamId: event.streamId,
    projection,
    error: String(error),
    parkedAt,
  };
}

function identityOf(event: ProjectedEvent): EventIdentity {
  return {
    position: event.position,
    eventId: event.eventId,
    type: event.type,
    streamId: customerStreamId(event.subjectId),
  };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

/** Waits `ms`, or less when the signal aborts (Node's abortable timer, its AbortError swallowed). */
const pause = (ms: number, signal: AbortSignal): Promise<void> =>
  delay(ms, undefined, { signal }).catch(() => undefined);
