import { createWriteStream, WriteStream } from 'node:fs';
import { ExchangeRates } from '../../domain/exchange-rates';
import { customerSummaryProjection, CustomerSummary } from '../../../projections/customer-summary.projection';
import { funnelProjection, FunnelPosition } from '../../../projections/funnel.projection';
import { loyaltyAsOf, loyaltyProjection, LoyaltyFacts } from '../../../projections/loyalty.projection';
import { ProjectedEvent, Projection } from '../../../projections/projection';
import { summarize } from '../../../projections/timeline.projection';
import { foldEvents } from '../../../projections/fold';
import { SkippedEvent, skippedEvent } from '../../../projections/catalog';
import { customerStreamId, piiFieldsOf } from '../../domain/customer-events';
import { EventStore, readWholeLog, RecordedEvent } from '../../ports/event-store.port';
import { AccessLog } from '../../privacy/access-log';
import { PiiCipher } from '../../privacy/pii-cipher';
import { Pseudonyms } from '../../privacy/pseudonyms';
import { ReadModels } from '../../application/read-models/read-models';
import { eventsOfMergedRecords } from '../../application/read-models/merged-records';

export interface ReplayFilter {
  readonly from?: string;
  readonly to?: string;
  readonly types?: readonly string[];
  readonly customers?: readonly string[];
}

/** Customer events of the log in order, filtered by occurredAt range, types and customers. */
export async function* customerEvents(
  store: EventStore,
  filter: ReplayFilter = {},
): AsyncIterable<RecordedEvent> {
  const customers = filter.customers && new Set(filter.customers.map(customerStreamId));
  const kept = keptByTypeAndTime(filter);
  for await (const event of readWholeLog(store)) {
    if (!event.streamId.startsWith('customer-')) continue;
    if (customers && !customers.has(event.streamId)) continue;
    if (kept(event)) yield event;
  }
}

/** The filter's event types and occurredAt range as a predicate. */
export function keptByTypeAndTime(filter: ReplayFilter): (event: RecordedEvent) => boolean {
  return (event) => {
    if (filter.types && !filter.types.includes(event.type)) return false;
    const occurredAt = String(event.metadata.occurredAt);
    return !((filter.from && occurredAt < filter.from) || (filter.to && occurredAt > filter.to));
  };
}

export type ExportFormat = 'ndjson' | 'csv';

/**
 * Who an export is for. Analysts (the default) get keyed pseudonyms instead of customer ids, no personal-data
 * fields, and only customers whose analytics consent is not withdrawn. Auditors and admins may ask for ids and
 * decrypted personal data: each customer whose data is read that way is entered in the access log.
 */
export type ExportAudience =
  | {
      readonly kind: 'analyst';
      readonly pseudonymOf: (customerId: string) => string;
      readonly analyticsAllowed: (customerId: string) => Promise<boolean>;
    }
  | {
      readonly kind: 'personal-data';
      readonly cipher: PiiCipher;
      readonly recordRead: (customerId: string) => Promise<void>;
    };

/** Pseudonyms, no personal data, only customers whose analytics consent is not withdrawn at `now`. */
export function analystAudience(pseudonyms: Pseudonyms, readModels: ReadModels, now: string): ExportAudience {
  return {
    kind: 'analyst',
    pseudonymOf: (customerId) => pseudonyms.of(customerId),
    analyticsAllowed: (customerId) => readModels.consentGiven(customerId, 'analytics', now),
  };
}

/** Customer ids and decrypted personal data; each customer read is entered in its access log. */
export function personalDataAudience(
  cipher: PiiCipher,
  accessLog: AccessLog,
  actor: string,
  requestId: string,
): ExportAudience {
  return {
    kind: 'personal-data',
    cipher,
    recordRead: (customerId) => accessLog.record(customerId, actor, 'event-export', requestId),
  };
}

const CSV_COLUMNS = [
  'position',
  'streamRevision',
  'eventId',
  'type',
  'occurredAt',
  'recordedAt',
  'actor',
  'channel',
  'data',
];

/** Writes events as NDJSON or CSV for an audience (see ExportAudience); how many, and how many customers were left out. */
export async function exportEvents(
  events: AsyncIterable<RecordedEvent>,
  options: {
    format: ExportFormat;
    out: NodeJS.WritableStream;
    audience: ExportAudience;
    onEvent?: () => void;
  },
): Promise<{ written: number; customersLeftOut: number }> {
  const { audience } = options;
  const customerColumn = audience.kind === 'analyst' ? 'pseudonym' : 'customerId';
  const columns = [CSV_COLUMNS[0]!, customerColumn, ...CSV_COLUMNS.slice(1)];
  /** Per customer: whether its events are exported (analysts) or its read was logged (personal data). */
  const decided = new Map<string, boolean>();
  let written = 0;
  let chunk = '';
  const flush = async () => {
    if (chunk && !options.out.write(chunk))
      await new Promise((resolve) => options.out.once('drain', resolve));
    chunk = '';
  };
  if (options.format === 'csv') options.out.write(`${columns.join(',')}\n`);
  for await (const event of events) {
    options.onEvent?.();
    const customerId = event.streamId.slice('customer-'.length);
    if (!decided.has(customerId)) {
      if (audience.kind === 'analyst') decided.set(customerId, await audience.analyticsAllowed(customerId));
      else decided.set(customerId, (await audience.recordRead(customerId), true));
    }
    if (!decided.get(customerId)) continue;
    const fields = piiFieldsOf(event.type);
    const data =
      audience.kind === 'personal-data'
        ? await audience.cipher.decryptFields(customerId, fields, event.data)
        : Object.fromEntries(Object.entries(event.data).filter(([field]) => !fields.includes(field)));
    const row: Record<string, unknown> = {
      position: event.position,
      [customerColumn]: audience.kind === 'analyst' ? audience.pseudonymOf(customerId) : customerId,
      streamRevision: event.streamRevision,
      eventId: event.eventId,
      type: event.type,
      occurredAt: event.metadata.occurredAt,
      recordedAt: event.metadata.recordedAt,
      actor: event.metadata.actor,
      channel: event.metadata.channel,
      data,
    };
    const line =
      options.format === 'ndjson'
        ? JSON.stringify(row)
        : columns.map((column) => csvCell(row[column])).join(',');
    chunk += `${line}\n`;
    if (chunk.length > 65_536) await flush();
    written++;
  }
  await flush();
  return { written, customersLeftOut: [...decided.values()].filter((exported) => !exported).length };
}

function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function openOutput(
  path: string | undefined,
): NodeJS.WritableStream & { close?: WriteStream['close'] } {
  return path ? createWriteStream(path, { mode: 0o600 }) : process.stdout;
}

/** Folds a projection over events in memory, one document per id (foldEvents); an event evolve throws on stops it. */
export function fold<Doc extends object>(
  projection: Projection<Doc>,
  events: Iterable<ProjectedEvent>,
  docs = new Map<string, Doc>(),
): Map<string, Doc> {
  const folded = foldEvents(projection, events, (id) => docs.get(id) ?? null);
  if (folded.failures.length > 0) throw folded.failures[0]!.error;
  folded.documents.forEach((doc, id) => (doc === null ? docs.delete(id) : docs.set(id, doc)));
  return docs;
}

/**
 * A customer as it stood at an instant: the same pure projections folded over the events that had happened
 * (by occurredAt) or had been recorded (by recordedAt) by then.
 */
export async function customerAsOf(
  store: EventStore,
  customerId: string,
  at: string,
  by: 'occurredAt' | 'recordedAt',
  ledgerCurrency: string,
  exchangeRates?: ExchangeRates,
) {
  const skipped: SkippedEvent[] = [];
  // With the records merged into the customer by then (a merge is an event like any other).
  const keep = (event: RecordedEvent) => String(event.metadata[by]) <= at;
  const events = await eventsOfMergedRecords(store, customerId, { keep }, (stored, error) =>
    skipped.push(skippedEvent(stored, error)),
  );
  const summary = fold(customerSummaryProjection, events).get(customerId) as CustomerSummary | undefined;
  const funnel = fold(funnelProjection, events).get(customerId) as FunnelPosition | undefined;
  const facts = fold(loyaltyProjection, events).get(customerId) as LoyaltyFacts | undefined;
  return {
    customerId,
    asOf: at,
    by,
    events: events.length,
    skipped,
    funnelStage: funnel?.stage ?? null,
    loyalty: loyaltyAsOf(facts ?? null, at, ledgerCurrency, ['profiling'], exchangeRates),
    summary: summary && { ...summary, name: undefined, email: undefined, phone: undefined },
    timeline: [...events]
      .reverse()
      .map((event) => ({ occurredAt: event.occurredAt, type: event.type, summary: summarize(event) })),
  };
}
