import type { Logger } from 'pino';
import { toProjectedEvent } from '../../projections/catalog';
import { ProjectedEvent, Projection } from '../../projections/projection';
import { EventStore, RecordedEvent } from '../event-store/event-store.port';
import { CollectionWrites, ReadStore } from './read-store.port';
import { batchesOf } from './subscription-batches';

export const PROJECTION_ENGINE = Symbol('PROJECTION_ENGINE');

interface ActiveGeneration {
  readonly generation: number;
  readonly version: number;
}

export interface PoisonEvent {
  readonly position: number;
  readonly eventId: string;
  readonly type: string;
  readonly error: string;
  readonly at: string;
}

/** One projection writing one generation of its collection. */
interface Target {
  readonly projection: Projection<object>;
  readonly generation: number;
  position: number;
  caughtUp: boolean;
  /** A generation filled from position 0 gets its indexes once it has caught up. */
  indexesPending: boolean;
  lastError?: PoisonEvent;
}

export interface ProjectionStatus {
  readonly name: string;
  readonly version: number;
  readonly generation: number;
  /** `idle`: this process serves reads but does not fold (LEDGER_PROJECTIONS=off; a projector does). */
  readonly status: 'catching-up' | 'live' | 'idle' | 'stopped';
  readonly position: number;
  readonly lag: number;
  readonly lastError?: PoisonEvent;
  readonly rebuild?: {
    readonly generation: number;
    readonly position: number;
    readonly lag: number;
    readonly startedAt: string;
  };
}

const BATCH_SIZE = 1000;
/** How long live events are gathered before they are folded: the projection lag a busy service accepts. */
const LIVE_LINGER_MS = 20;

export const collectionName = (name: string, generation: number) => `${name}_g${generation}`;
const checkpointName = (name: string, generation: number) => `${name}@g${generation}`;
const stateKey = (name: string) => `projection:${name}`;

/**
 * Keeps read models up to date: reads the event store from each projection's checkpoint (catch-up, then
 * live), folds batches with the projections' pure `evolve`, and commits documents and checkpoints together.
 * A crash at any point loses nothing and double-counts nothing: what was not committed is folded again.
 * Rebuilds write a new generation of a collection while the old one keeps serving, then switch (blue/green).
 * A projection version that differs from the stored one starts such a rebuild by itself.
 */
export class ProjectionEngine {
  private readonly live = new Map<string, Target>();
  private readonly rebuilding = new Map<string, Target & { startedAt: string }>();
  private readonly lanes = new Set<Promise<void>>();
  private readonly abort = new AbortController();
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
    await Promise.all(this.lanes);
  }

  /** The collection queries should read for a projection: its active generation. */
  collection(name: string): string {
    const target = this.live.get(name);
    if (!target) throw new Error(`unknown projection ${name}`);
    return collectionName(name, target.generation);
  }

  names(): string[] {
    return this.projections.map((projection) => projection.name);
  }

  /** Starts rebuilding the named projections from position 0 into new generations; returns at once. */
  async rebuild(names: readonly string[]): Promise<void> {
    const targets: (Target & { startedAt: string })[] = [];
    for (const name of names) {
      const live = this.live.get(name);
      if (!live) throw new Error(`unknown projection ${name}`);
      if (this.rebuilding.has(name)) continue;
      const generation = live.generation + 1;
      await this.reads.dropCollection(collectionName(name, generation));
      await this.reads.ensureCollection(collectionName(name, generation), live.projection.indexes, {
        deferIndexes: true,
      });
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

  async status(): Promise<ProjectionStatus[]> {
    const head = await this.events.lastPosition();
    return this.projections.map((projection) => {
      const live = this.live.get(projection.name)!;
      const rebuild = this.rebuilding.get(projection.name);
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
        lastError: live.lastError,
        rebuild: rebuild && {
          generation: rebuild.generation,
          position: rebuild.position,
          lag: Math.max(0, head - rebuild.position),
          startedAt: rebuild.startedAt,
        },
      };
    });
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

  private runLane(targets: Target[], onCaughtUp?: (target: Target) => Promise<void>): void {
    const lane = this.lane(targets, onCaughtUp).catch((error: unknown) => {
      this.logger.error(
        { err: error, projections: targets.map((t) => t.projection.name) },
        'projection lane stopped',
      );
    });
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
    const events = stored
      .map(toProjectedEvent)
      .filter((event): event is ProjectedEvent => event !== undefined);
    const lastPosition = stored[stored.length - 1]!.position;
    const writes: CollectionWrites[] = [];
    const checkpoints: Record<string, number> = {};
    for (const target of targets) {
      const { projection } = target;
      const relevant = events.filter((event) => event.position > target.position);
      const ids = relevant.map((event) => projection.documentId(event));
      const collection = collectionName(projection.name, target.generation);
      const existing = await this.reads.getMany<object>(
        collection,
        ids.filter((id): id is string => id !== undefined),
      );
      const changed = new Map<string, object | null>();
      relevant.forEach((event, index) => {
        const id = ids[index];
        if (id === undefined) return;
        const current = changed.has(id) ? changed.get(id)! : (existing.get(id) ?? null);
        try {
          changed.set(id, projection.evolve(current, event));
        } catch (error) {
          target.lastError = {
            position: event.position,
            eventId: event.eventId,
            type: event.type,
            error: String(error),
            at: new Date().toISOString(),
          };
          this.logger.error(
            { projection: projection.name, position: event.position, eventId: event.eventId, err: error },
            'projection failed on an event; skipped it',
          );
        }
      });
      writes.push({ collection, writes: [...changed].map(([id, doc]) => ({ id, doc })) });
      checkpoints[checkpointName(projection.name, target.generation)] = lastPosition;
    }
    await this.reads.commit(writes, checkpoints);
    for (const target of targets) target.position = lastPosition;
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
    await this.reads.dropCollection(collectionName(name, previous.generation));
    this.logger.info(
      { projection: name, generation: target.generation, position: target.position },
      'projection rebuilt and switched',
    );
  }

  private exclusively<T>(work: () => Promise<T>): Promise<T> {
    const result = this.turn.then(work);
    this.turn = result.catch(() => undefined);
    return result;
  }
}
