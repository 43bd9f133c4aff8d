import type { Logger } from 'pino';
import { toProjectedEvent } from '../../../projections/catalog';
import { MalformedEventError } from '../../../projections/event-guard';
import { foldEvents } from '../../../projections/fold';
import { ProjectedEvent } from '../../../projections/projection';
import { EventStore, RecordedEvent } from '../../ports/event-store.port';
import { BucketIncrement } from '../../ports/projector-partitions.port';
import { CollectionWrites, ReadStore } from '../../ports/read-store.port';
import { figureIncrements, figureWrites } from './figure-writes';
import { checkpointName, collectionName, GenerationWriter, parkedCollectionName } from './generations';
import { eventsOfMergedRecords } from './merged-records';
import { identityOf, ParkedEvent, parkedEvent, parkedId } from './parked-events';

/**
 * Reading and folding a batch: the stored events as projected events (malformed ones refused for every
 * projection alike), each merge's records read, then for each generation writer the documents its events
 * touch loaded, folded (foldEvents), and committed together with the population figures, the events parked
 * and the checkpoint, in one commit. A crash before the commit loses nothing: the batch is folded again.
 */
export class BatchFold {
  constructor(
    private readonly events: EventStore,
    private readonly reads: ReadStore,
    private readonly logger: Logger,
  ) {}

  async fold(writers: readonly GenerationWriter[], stored: readonly RecordedEvent[]): Promise<void> {
    const lastPosition = stored[stored.length - 1]!.position;
    const { writes, checkpoints } = await this.prepare(writers, stored, {
      upTo: lastPosition,
      checkpointOf: (writer) => checkpointName(writer.projection.name, writer.generation),
      figures: 'buckets',
    });
    await this.reads.commit(writes, checkpoints);
    for (const writer of writers) writer.position = lastPosition;
  }

  /**
   * What folding a batch commits, for each writer: its documents, its population figures (as the buckets to
   * store, or with `figures: 'increments'` as increments for the database to add), the events it parks and
   * its checkpoint at `upTo`. Nothing is written.
   */
  async prepare(
    writers: readonly GenerationWriter[],
    stored: readonly RecordedEvent[],
    options: {
      readonly upTo: number;
      readonly checkpointOf: (writer: GenerationWriter) => string;
      readonly figures: 'buckets' | 'increments';
    },
  ): Promise<{
    writes: CollectionWrites[];
    increments: BucketIncrement[];
    checkpoints: Record<string, number>;
  }> {
    const { events, refused } = project(stored);
    this.logRefused(refused);
    const merges = await this.mergedRecordsOf(events);
    const parkedAt = new Date().toISOString();
    const writes: CollectionWrites[] = [];
    const increments: BucketIncrement[] = [];
    const checkpoints: Record<string, number> = {};
    for (const writer of writers) {
      const { projection } = writer;
      const parked: ParkedEvent[] = refused
        .filter(({ event }) => event.position > writer.position)
        .map(({ event, error }) => parkedEvent(projection.name, event, error, parkedAt));
      const relevant = events.filter((event) => event.position > writer.position);
      const ids = relevant.map((event) => projection.documentId(event));
      const collection = collectionName(projection.name, writer.generation);
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
      if (options.figures === 'buckets') {
        writes.push(...(await figureWrites(this.reads, writer, changed, committed)));
      } else {
        increments.push(...(await figureIncrements(this.reads, writer, changed, committed)));
      }
      if (parked.length > 0) {
        writes.push({
          collection: parkedCollectionName(projection.name, writer.generation),
          writes: parked.map((event) => ({ id: parkedId(event.position), doc: event })),
        });
      }
      checkpoints[options.checkpointOf(writer)] = options.upTo;
    }
    return { writes, increments, checkpoints };
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
}

/**
 * Stored events as projected events, checked once for every projection alike (toProjectedEvent), and the
 * refused ones with their error: anything the conversion throws on is parked rather than stopping the fold.
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
