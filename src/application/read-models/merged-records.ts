import { toProjectedEvent } from '../../../projections/catalog';
import { MalformedEventError } from '../../../projections/event-guard';
import { ProjectedEvent } from '../../../projections/projection';
import { customerStreamId } from '../../domain/customer-events';
import { EventStore, readStreamInPages, RecordedEvent } from '../../ports/event-store.port';

/** Which of a customer's recorded events to take: up to a log position, or those kept by a predicate. */
export interface MergedRecordsFilter {
  readonly upToPosition?: number;
  readonly keep?: (event: RecordedEvent) => boolean;
}

/**
 * A customer's events and those of every record merged into it (anonymous visitors, duplicates, and what
 * they had absorbed in turn), as projected events about the customer, in log order. A merge counts once it is
 * within the filter, so a customer as of an earlier instant has only the records merged by then. Each event
 * keeps its `subjectId`: personal data stays readable with the key of the record that recorded it.
 */
export async function eventsOfMergedRecords(
  store: EventStore,
  customerId: string,
  filter: MergedRecordsFilter = {},
  onMalformed: OnMalformed = () => undefined,
): Promise<ProjectedEvent[]> {
  const events: ProjectedEvent[] = [];
  for (const record of await readMergedRecords(store, customerId, filter)) {
    for (const stored of record.events) {
      const event = projectedOrMalformed(stored, onMalformed);
      if (event) events.push(event.customerId === customerId ? event : { ...event, customerId });
    }
  }
  return events.sort((a, b) => a.position - b.position);
}

/** One record's stored events, as a merged customer's reads take them. */
export interface MergedRecord {
  readonly recordId: string;
  readonly events: readonly RecordedEvent[];
}

/**
 * A customer's record and every record merged into it, directly or through a chain, in merge order, each with
 * its stored events within the filter; each stream is read once. A merge outside the filter brings nothing.
 */
export async function readMergedRecords(
  store: EventStore,
  customerId: string,
  filter: MergedRecordsFilter = {},
): Promise<MergedRecord[]> {
  const records: MergedRecord[] = [];
  for (const recordIds = [customerId]; records.length < recordIds.length;) {
    const recordId = recordIds[records.length]!;
    const events: RecordedEvent[] = [];
    for (const stored of await store.readStream(customerStreamId(recordId))) {
      if (filter.upToPosition !== undefined && stored.position > filter.upToPosition) break;
      if (filter.keep && !filter.keep(stored)) continue;
      events.push(stored);
      // A malformed merge is parked by the folds, so it brings no record here either.
      const merge =
        stored.type === 'CustomerMerged' ? projectedOrMalformed(stored, () => undefined) : undefined;
      if (merge?.type === 'CustomerMerged') recordIds.push(merge.data.duplicateId);
    }
    records.push({ recordId, events });
  }
  return records;
}

/**
 * readMergedRecords without holding any stream whole: the same records in the same order, each record's events
 * in pages (several per record, see readStreamInPages), so a customer with any number of events is walked a
 * page at a time with the event loop free between pages.
 */
export async function* readMergedRecordsInPages(
  store: EventStore,
  customerId: string,
): AsyncIterable<MergedRecord> {
  for (const recordIds = [customerId]; recordIds.length > 0;) {
    const recordId = recordIds.shift()!;
    for await (const events of readStreamInPages(store, customerStreamId(recordId))) {
      for (const stored of events) {
        const merge =
          stored.type === 'CustomerMerged' ? projectedOrMalformed(stored, () => undefined) : undefined;
        if (merge?.type === 'CustomerMerged') recordIds.push(merge.data.duplicateId);
      }
      yield { recordId, events };
    }
  }
}

/** What a fold does with a malformed event: the runner parks it, in-memory folds report it, a merge skips it. */
export type OnMalformed = (stored: RecordedEvent, error: MalformedEventError) => void;

function projectedOrMalformed(stored: RecordedEvent, onMalformed: OnMalformed): ProjectedEvent | undefined {
  try {
    return toProjectedEvent(stored);
  } catch (error) {
    if (!(error instanceof MalformedEventError)) throw error;
    onMalformed(stored, error);
    return undefined;
  }
}

/**
 * The customer a record stands for now: the record itself, or the survivor at the end of its merges (a merged
 * record's stream ends with CustomerMergedInto).
 */
export async function survivorOfRecord(store: EventStore, customerId: string): Promise<string> {
  for (let id = customerId; ;) {
    const [last] = await store.readStream(customerStreamId(id), { direction: 'backwards', maxCount: 1 });
    if (last?.type !== 'CustomerMergedInto') return id;
    id = String(last.data.survivorId);
  }
}

/** A customer's record and every record merged into it, directly or through a chain, in merge order. */
export async function mergedRecordIds(store: EventStore, customerId: string): Promise<string[]> {
  return (await readMergedRecords(store, customerId)).map((record) => record.recordId);
}
