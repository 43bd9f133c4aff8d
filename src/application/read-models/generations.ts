import { Projection } from '../../../projections/projection';
import { ReadStore } from '../../ports/read-store.port';

/**
 * One projection writing one generation of its collection: the live generation queries read, or a rebuild's
 * new one. `position` is the log position it has folded and committed up to.
 */
export interface GenerationWriter {
  readonly projection: Projection<object>;
  readonly generation: number;
  position: number;
  caughtUp: boolean;
  /** A generation filled from position 0 gets its indexes once it has caught up. */
  indexesPending: boolean;
}

/** Which generation of a projection queries read, and the projection version that wrote it. */
interface ActiveGeneration {
  readonly generation: number;
  readonly version: number;
}

export const collectionName = (name: string, generation: number) => `${name}_g${generation}`;
export const checkpointName = (name: string, generation: number) => `${name}@g${generation}`;
/** The checkpoint of one partition of a projection's generation (the partitioned projector's). */
export const partitionCheckpointName = (name: string, generation: number, partition: number) =>
  `${checkpointName(name, generation)}#p${partition}`;
const activeGenerationKey = (name: string) => `projection:${name}`;
/** Whether the projections are folded by partitioned projectors, and in how many partitions (0: one projector). */
const PROJECTOR_KEY = 'projector';
/** Parked events live next to the generation that parked them: a rebuild starts its own list. */
export const parkedCollectionName = (name: string, generation: number) =>
  collectionName(`parked-${name}`, generation);
/** A population figure's buckets live next to the generation of the documents they are counted from. */
export const figureCollectionName = (name: string, figure: string, generation: number) =>
  collectionName(`${name}-${figure}`, generation);
const PARKED_INDEXES = [[['position', 1]]] as const;

/**
 * Generations and their checkpoints in the read store (blue/green): each projection's active generation, a
 * rebuild's new one beside it, the switch, and the collections that go with a generation (documents, parked
 * events, population figures).
 */
export class Generations {
  constructor(private readonly reads: ReadStore) {}

  /** A projection's active generation, ready to fold from its checkpoint; `stale` when its version changed. */
  async openActive(projection: Projection<object>): Promise<{ writer: GenerationWriter; stale: boolean }> {
    let active = await this.reads.getState<ActiveGeneration>(activeGenerationKey(projection.name));
    if (!active) {
      active = { generation: 1, version: projection.version };
      await this.reads.setState(activeGenerationKey(projection.name), active);
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
    const writer = {
      projection,
      generation: active.generation,
      position,
      caughtUp: false,
      indexesPending: position === 0,
    };
    return { writer, stale: active.version !== projection.version };
  }

  /** The generation after the live one, empty, its checkpoint at 0: a rebuild folds into it from the start. */
  async openNext(live: GenerationWriter): Promise<GenerationWriter> {
    const { projection } = live;
    const generation = live.generation + 1;
    await this.drop(projection, generation);
    await this.reads.ensureCollection(collectionName(projection.name, generation), projection.indexes, {
      deferIndexes: true,
    });
    await this.ensureCompanions(projection, generation);
    await this.reads.commit([], { [checkpointName(projection.name, generation)]: 0 });
    return { projection, generation, position: 0, caughtUp: false, indexesPending: true };
  }

  /** Makes a writer's generation the one queries read (the switch of a rebuild). */
  async activate(writer: GenerationWriter): Promise<void> {
    await this.reads.setState(activeGenerationKey(writer.projection.name), {
      generation: writer.generation,
      version: writer.projection.version,
    });
  }

  /**
   * What a projector committed, as a process that does not fold learns it: the active generation (a rebuild
   * may have switched it) and its checkpoint.
   */
  async committed(
    projection: Projection<object>,
    known: number,
  ): Promise<{ generation: number; position: number }> {
    const active = await this.reads.getState<ActiveGeneration>(activeGenerationKey(projection.name));
    const generation = active?.generation ?? known;
    const partitions = (await this.reads.getState<{ partitions: number }>(PROJECTOR_KEY))?.partitions ?? 0;
    if (partitions === 0) {
      return {
        generation,
        position: await this.reads.checkpoint(checkpointName(projection.name, generation)),
      };
    }
    // Partitioned: a position is folded once every partition has passed it (see partitionPosition).
    const [single, ...own] = await Promise.all([
      this.reads.checkpoint(checkpointName(projection.name, generation)),
      ...Array.from({ length: partitions }, (_, partition) =>
        this.reads.checkpoint(partitionCheckpointName(projection.name, generation, partition)),
      ),
    ]);
    return { generation, position: Math.max(single!, Math.min(...own)) };
  }

  /**
   * Where a partition of a projection's generation has folded to: its own checkpoint, or the single
   * projector's where that is further (a partition starts from where one projector left the generation).
   */
  async partitionPosition(
    projection: Projection<object>,
    generation: number,
    partition: number,
  ): Promise<number> {
    const [own, single] = await Promise.all([
      this.reads.checkpoint(partitionCheckpointName(projection.name, generation, partition)),
      this.reads.checkpoint(checkpointName(projection.name, generation)),
    ]);
    return Math.max(own, single);
  }

  /** Records who folds: partitioned projectors sharing `partitions` partitions, or one projector (0). */
  async recordProjector(partitions: number): Promise<void> {
    const recorded = (await this.reads.getState<{ partitions: number }>(PROJECTOR_KEY))?.partitions ?? 0;
    if (recorded !== partitions) await this.reads.setState(PROJECTOR_KEY, { partitions });
  }

  /** A generation filled from position 0 gets its indexes once it has caught up. */
  async buildIndexes(writer: GenerationWriter): Promise<void> {
    await this.reads.buildIndexes(collectionName(writer.projection.name, writer.generation));
  }

  async drop(projection: Projection<object>, generation: number): Promise<void> {
    await this.reads.dropCollection(collectionName(projection.name, generation));
    await this.reads.dropCollection(parkedCollectionName(projection.name, generation));
    for (const figure of projection.figures ?? []) {
      await this.reads.dropCollection(figureCollectionName(projection.name, figure.name, generation));
    }
  }

  /** The collections a generation keeps beside its documents: parked events and population figures. */
  private async ensureCompanions(projection: Projection<object>, generation: number): Promise<void> {
    await this.reads.ensureCollection(parkedCollectionName(projection.name, generation), PARKED_INDEXES);
    for (const figure of projection.figures ?? []) {
      await this.reads.ensureCollection(figureCollectionName(projection.name, figure.name, generation), []);
    }
  }
}
