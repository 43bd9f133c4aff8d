import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { Projection } from '../../../projections/projection';
import { EventStore } from '../../ports/event-store.port';
import { ReadStore } from '../../ports/read-store.port';
import { BatchFold } from './batch-fold';
import { collectionName, figureCollectionName, Generations, GenerationWriter } from './generations';
import { ParkedEvent, ParkedEvents, PoisonEvent, RetryReport } from './parked-events';
import { pollCheckpoints, PositionWaiters } from './position-waiters';
import { batchesOf } from './subscription-batches';

export { collectionName, figureCollectionName, parkedCollectionName } from './generations';
export type { ParkedEvent, PoisonEvent, RetryReport } from './parked-events';

export const PROJECTION_ENGINE = Symbol('PROJECTION_ENGINE');

/** A retry was asked of a process that does not fold (LEDGER_PROJECTIONS=off): the projector must do it. */
export class NotFoldingError extends Error {
  constructor() {
    super('this process does not fold projections (LEDGER_PROJECTIONS=off): retry where the projector runs');
    this.name = 'NotFoldingError';
  }
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

/**
 * Events folded and committed in one transaction at most. Profiled at 1000 and 5000 on a rebuild: the same
 * CPU (a commit costs by the pages it writes, not per transaction) and 40 MiB more peak RSS at 5000.
 */
const BATCH_SIZE = 1000;
/** How long live events are gathered before they are folded: the projection lag a busy service accepts. */
const LIVE_LINGER_MS = 20;
/** How many parked events a status lists (all are counted). */
const PARKED_LISTED = 100;
/** A fold loop that failed (the store unreachable, say) folds again after a pause, doubling up to the maximum. */
const FOLD_RETRY_FIRST_MS = 100;
const FOLD_RETRY_MAX_MS = 5000;

/**
 * The projection runner: keeps read models up to date by reading the event store from each projection's
 * checkpoint (catch-up, then live) and folding batches with the projections' pure `evolve`. Its parts:
 *
 * - BatchFold (batch-fold.ts): reading and folding a batch (foldEvents), committing documents, population
 *   figures, parked events and checkpoints together. A crash at any point loses nothing and double-counts
 *   nothing: what was not committed is folded again.
 * - Generations (generations.ts): checkpoints and blue/green generations. Rebuilds write a new generation while
 *   the old one keeps serving, then switch; a projection version that differs from the stored one starts such
 *   a rebuild by itself.
 * - ParkedEvents (parked-events.ts): an event a projection cannot fold is parked (in the same commit) and
 *   skipped; `retryParked` tries again.
 * - PositionWaiters (position-waiters.ts): waiting for a position (read-your-writes), in a process that folds
 *   or one that only reads the checkpoints a projector commits.
 *
 * This class runs the fold loops (one for the live generations, one per rebuild) and keeps them apart from
 * switches and retries (`exclusively`).
 */
export class ProjectionEngine {
  private readonly live = new Map<string, GenerationWriter>();
  private readonly rebuilding = new Map<string, GenerationWriter & { startedAt: string }>();
  private readonly foldLoops = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private readonly generations: Generations;
  private readonly batches: BatchFold;
  private readonly parked: ParkedEvents;
  private readonly waiters = new PositionWaiters();
  /** Folding a batch, switching generations and retrying parked events run one at a time (`exclusively`). */
  private exclusive: Promise<unknown> = Promise.resolve();
  private folding = false;

  constructor(
    private readonly events: EventStore,
    reads: ReadStore,
    private readonly projections: readonly Projection<object>[],
    private readonly logger: Logger,
  ) {
    this.generations = new Generations(reads);
    this.batches = new BatchFold(events, reads, logger);
    this.parked = new ParkedEvents(events, reads, logger);
  }

  /**
   * Loads each projection's active generation and, unless `fold` is false (a service instance that only
   * serves reads and ingest while a projector process folds), starts folding.
   */
  async start({ fold = true }: { fold?: boolean } = {}): Promise<void> {
    const stale: string[] = [];
    for (const projection of this.projections) {
      const { writer, stale: versionChanged } = await this.generations.openActive(projection);
      if (versionChanged) stale.push(projection.name);
      this.live.set(projection.name, writer);
    }
    if (!fold) return;
    this.folding = true;
    // One projector folds: processes that only read learn positions from its checkpoints, not partitions'.
    await this.generations.recordProjector(0);
    this.keepFolding([...this.live.values()]);
    if (stale.length > 0) {
      this.logger.warn({ projections: stale }, 'projection versions changed: rebuilding them');
      await this.rebuild(stale);
    }
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.waiters.cancelAll();
    await Promise.all(this.foldLoops);
  }

  /** The collection queries should read for a projection: its active generation. */
  collection(name: string): string {
    return collectionName(name, this.liveWriter(name).generation);
  }

  /** The collection of a projection's population figure, in its active generation. */
  figureCollection(name: string, figure: string): string {
    return figureCollectionName(name, figure, this.liveWriter(name).generation);
  }

  /** The active generation of each projection: the collections queries read. */
  activeGenerations(): Record<string, number> {
    return Object.fromEntries([...this.live].map(([name, writer]) => [name, writer.generation]));
  }

  /**
   * Reads the generations another engine made active (a rebuild switched them there): a process that folds
   * nothing, such as a read worker, follows the one that folds.
   */
  followGenerations(generations: Readonly<Record<string, number>>): void {
    if (this.folding) throw new Error('an engine that folds keeps its own generations');
    for (const [name, generation] of Object.entries(generations)) {
      const writer = this.liveWriter(name);
      if (writer.generation !== generation) this.live.set(name, { ...writer, generation });
    }
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
    const writers: (GenerationWriter & { startedAt: string })[] = [];
    for (const name of names) {
      const live = this.liveWriter(name);
      if (this.rebuilding.has(name)) continue;
      const writer = { ...(await this.generations.openNext(live)), startedAt: new Date().toISOString() };
      this.rebuilding.set(name, writer);
      writers.push(writer);
    }
    if (writers.length > 0) this.keepFolding(writers, (writer) => this.switchTo(writer));
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
        const parked = await this.parked.list(live);
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
    const behind = (writer: GenerationWriter) => !writer.caughtUp || writer.position < head;
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
    if (!this.folding) {
      return pollCheckpoints(position, timeoutMs, () => this.refreshFromStore(), this.abort.signal);
    }
    if (this.foldedPosition() >= position) return true;
    return this.waiters.wait(position, timeoutMs);
  }

  /**
   * Tries the parked events of the named projections (all when none) again, after a fix (see
   * ParkedEvents.retry). Runs between batches.
   */
  async retryParked(names: readonly string[] = this.names()): Promise<RetryReport[]> {
    if (!this.folding) throw new NotFoldingError();
    const writers = names.map((name) => this.liveWriter(name));
    return this.exclusively(async () => {
      const reports: RetryReport[] = [];
      for (const writer of writers) reports.push(await this.parked.retry(writer));
      return reports;
    });
  }

  private liveWriter(name: string): GenerationWriter {
    const writer = this.live.get(name);
    if (!writer) throw new Error(`unknown projection ${name}`);
    return writer;
  }

  /**
   * Folds for the writers until the engine stops. A fold loop that fails (a read or a commit refused: the
   * database restarting, a lost connection) starts again after a pause from its writers' committed positions:
   * what the failed batch did not commit is folded again, and folding an event twice is a no-op. Without this
   * a projector would live on without folding anything after the store's first hiccup.
   */
  private keepFolding(
    writers: GenerationWriter[],
    onCaughtUp?: (writer: GenerationWriter) => Promise<void>,
  ): void {
    const folded = () => Math.min(...writers.map((writer) => writer.position));
    const loop = (async () => {
      // Failures in a row without progress: each doubles the pause.
      for (let failures = 0; !this.abort.signal.aborted;) {
        const from = folded();
        try {
          await this.foldFromLog(writers, onCaughtUp);
          return;
        } catch (error) {
          if (this.abort.signal.aborted) return;
          failures = folded() > from ? 1 : failures + 1;
          const pauseMs = Math.min(FOLD_RETRY_MAX_MS, FOLD_RETRY_FIRST_MS * 2 ** Math.min(failures - 1, 10));
          this.logger.error(
            { err: error, projections: writers.map((w) => w.projection.name), retryInMs: pauseMs },
            'projection lane failed; folding again from the last checkpoint',
          );
          await pause(pauseMs, this.abort.signal);
        }
      }
    })();
    this.foldLoops.add(loop);
    void loop.finally(() => this.foldLoops.delete(loop));
  }

  /** Reads the log from the writers' lowest position on, folding each batch for the writers still current. */
  private async foldFromLog(
    writers: GenerationWriter[],
    onCaughtUp?: (writer: GenerationWriter) => Promise<void>,
  ): Promise<void> {
    const from = Math.min(...writers.map((writer) => writer.position));
    const subscription = this.events.subscribeToAll({ afterPosition: from, signal: this.abort.signal });
    for await (const batch of batchesOf(subscription, BATCH_SIZE, LIVE_LINGER_MS)) {
      const current = writers.filter((writer) => this.isCurrent(writer));
      if (current.length === 0) return;
      if (batch.events.length > 0) {
        await this.exclusively(async () => {
          await this.batches.fold(current, batch.events);
          this.waiters.settle(() => this.foldedPosition());
        });
      }
      // The embedded stores answer synchronously: yield so that requests are served during a long catch-up.
      await new Promise((resolve) => setImmediate(resolve));
      if (batch.caughtUp) {
        for (const writer of current) {
          if (writer.indexesPending) {
            await this.generations.buildIndexes(writer);
            writer.indexesPending = false;
          }
          writer.caughtUp = true;
          if (onCaughtUp) await this.exclusively(() => onCaughtUp(writer));
        }
      }
    }
  }

  /** Whether a writer still writes a generation in use (a finished or superseded rebuild's stops). */
  private isCurrent(writer: GenerationWriter): boolean {
    const name = writer.projection.name;
    return this.live.get(name) === writer || this.rebuilding.get(name) === writer;
  }

  /** A rebuilt generation caught up: it becomes the live one and the old generation is dropped. */
  private async switchTo(writer: GenerationWriter): Promise<void> {
    const name = writer.projection.name;
    const previous = this.live.get(name)!;
    await this.generations.activate(writer);
    this.live.set(name, writer);
    this.rebuilding.delete(name);
    await this.generations.drop(previous.projection, previous.generation);
    this.waiters.settle(() => this.foldedPosition());
    this.logger.info(
      { projection: name, generation: writer.generation, position: writer.position },
      'projection rebuilt and switched',
    );
  }

  /** The position every live projection has folded up to. */
  private foldedPosition(): number {
    return Math.min(...[...this.live.values()].map((writer) => writer.position));
  }

  /**
   * A process that does not fold learns from the read store what the projector committed: each projection's
   * active generation (a rebuild may have switched it) and its checkpoint. Returns the lowest position.
   */
  private async refreshFromStore(): Promise<number> {
    for (const projection of this.projections) {
      const known = this.live.get(projection.name)!;
      const { generation, position } = await this.generations.committed(projection, known.generation);
      if (generation === known.generation) known.position = position;
      else this.live.set(projection.name, { ...known, generation, position });
    }
    return this.foldedPosition();
  }

  private exclusively<T>(work: () => Promise<T>): Promise<T> {
    const result = this.exclusive.then(work);
    this.exclusive = result.catch(() => undefined);
    return result;
  }
}

/** Waits `ms`, or less when the signal aborts (Node's abortable timer, its AbortError swallowed). */
const pause = (ms: number, signal: AbortSignal): Promise<void> =>
  delay(ms, undefined, { signal }).catch(() => undefined);
