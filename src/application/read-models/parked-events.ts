import type { Logger } from 'pino';
import { foldEvents } from '../../../projections/fold';
import { ProjectedEvent } from '../../../projections/projection';
import { customerIdOfStream, customerStreamId } from '../../domain/customer-events';
import { EventStore, RecordedEvent } from '../../ports/event-store.port';
import { DocumentWrite, ReadStore } from '../../ports/read-store.port';
import { figureWrites } from './figure-writes';
import { collectionName, GenerationWriter, parkedCollectionName } from './generations';
import { eventsOfMergedRecords, survivorOfRecord } from './merged-records';

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

/** Parked events are keyed by position: an event parked again (a crash before the checkpoint) overwrites. */
export const parkedId = (position: number) => String(position);

/** What a parked event records of the event itself: where it is, never its data. */
export type EventIdentity = Pick<RecordedEvent, 'position' | 'eventId' | 'type' | 'streamId'>;

export function parkedEvent(
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

export function identityOf(event: ProjectedEvent): EventIdentity {
  return {
    position: event.position,
    eventId: event.eventId,
    type: event.type,
    streamId: customerStreamId(event.subjectId),
  };
}

/** The parked events of each generation: listed for the status, retried after a fix. */
export class ParkedEvents {
  constructor(
    private readonly events: EventStore,
    private readonly reads: ReadStore,
    private readonly logger: Logger,
  ) {}

  /** Every parked event of a writer's generation, oldest first. */
  list(writer: GenerationWriter): Promise<ParkedEvent[]> {
    return this.reads.find<ParkedEvent>(parkedCollectionName(writer.projection.name, writer.generation), {
      sort: [['position', 1]],
    });
  }

  /**
   * Tries one projection's parked events again, in one commit; the caller keeps its checkpoint still meanwhile.
   * Documents are idempotent by position, so an old event folded into a newer document would be a no-op:
   * instead each document a parked event touches is derived anew by folding its whole customer stream again,
   * merged records included, in order, up to the checkpoint (timeline documents are one per event). Events
   * that fold now leave the parked list; those that still fail stay with the new error.
   */
  async retry(writer: GenerationWriter): Promise<RetryReport> {
    const { projection } = writer;
    const parked = await this.list(writer);
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
        { upToPosition: writer.position },
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
            collection: collectionName(projection.name, writer.generation),
            writes: [...rederived].map(([id, doc]) => ({ id, doc })),
          },
          ...(await figureWrites(this.reads, writer, rederived)),
          { collection: parkedCollectionName(projection.name, writer.generation), writes: parkedWrites },
        ],
        {},
      );
    }
    const report = { projection: projection.name, retried: parked.length, folded, stillParked, newlyParked };
    if (parked.length > 0) this.logger.info(report, 'retried parked events');
    return report;
  }
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}
