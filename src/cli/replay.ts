import { createWriteStream, WriteStream } from 'node:fs';
import { customerSummaryProjection, CustomerSummary } from '../../projections/customer-summary.projection';
import { funnelProjection, FunnelPosition } from '../../projections/funnel.projection';
import { loyaltyProjection, loyaltyScore, LoyaltyFacts } from '../../projections/loyalty.projection';
import { ProjectedEvent, Projection } from '../../projections/projection';
import { summarize } from '../../projections/timeline.projection';
import { toProjectedEvent } from '../../projections/catalog';
import { customerStreamId, piiFieldsOf } from '../customers/domain/customer-events';
import { EventStore, readWholeLog, RecordedEvent } from '../event-store/event-store.port';
import { PiiCipher } from '../gdpr/pii-cipher';

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
  for await (const event of readWholeLog(store)) {
    if (!event.streamId.startsWith('customer-')) continue;
    if (customers && !customers.has(event.streamId)) continue;
    if (filter.types && !filter.types.includes(event.type)) continue;
    const occurredAt = String(event.metadata.occurredAt);
    if ((filter.from && occurredAt < filter.from) || (filter.to && occurredAt > filter.to)) continue;
    yield event;
  }
}

export type ExportFormat = 'ndjson' | 'csv';

const CSV_COLUMNS = [
  'position',
  'customerId',
  'streamRevision',
  'eventId',
  'type',
  'occurredAt',
  'recordedAt',
  'actor',
  'channel',
  'data',
];

/**
 * Writes events as NDJSON or CSV. Pseudonymised by default: personal-data fields are left out and customers
 * appear by id only; `includePersonalData` decrypts them instead.
 */
export async function exportEvents(
  events: AsyncIterable<RecordedEvent>,
  options: {
    format: ExportFormat;
    out: NodeJS.WritableStream;
    cipher?: PiiCipher;
    includePersonalData?: boolean;
    onEvent?: () => void;
  },
): Promise<number> {
  let written = 0;
  let chunk = '';
  const flush = async () => {
    if (chunk && !options.out.write(chunk))
      await new Promise((resolve) => options.out.once('drain', resolve));
    chunk = '';
  };
  if (options.format === 'csv') options.out.write(`${CSV_COLUMNS.join(',')}\n`);
  for await (const event of events) {
    const customerId = event.streamId.slice('customer-'.length);
    const fields = piiFieldsOf(event.type);
    const data =
      options.includePersonalData && options.cipher
        ? await options.cipher.decryptFields(customerId, fields, event.data)
        : Object.fromEntries(Object.entries(event.data).filter(([field]) => !fields.includes(field)));
    const row = {
      position: event.position,
      customerId,
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
        : CSV_COLUMNS.map((column) => csvCell((row as Record<string, unknown>)[column])).join(',');
    chunk += `${line}\n`;
    if (chunk.length > 65_536) await flush();
    written++;
    options.onEvent?.();
  }
  await flush();
  return written;
}

function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function openOutput(
  path: string | undefined,
): NodeJS.WritableStream & { close?: WriteStream['close'] } {
  return path ? createWriteStream(path) : process.stdout;
}

/** Folds a projection over events in memory, one document per id. */
export function fold<Doc extends object>(
  projection: Projection<Doc>,
  events: Iterable<ProjectedEvent>,
  docs = new Map<string, Doc>(),
): Map<string, Doc> {
  for (const event of events) {
    const id = projection.documentId(event);
    if (id === undefined) continue;
    const next = projection.evolve(docs.get(id) ?? null, event);
    if (next === null) docs.delete(id);
    else docs.set(id, next);
  }
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
) {
  const stored = await store.readStream(customerStreamId(customerId));
  const events = stored
    .filter((event) => String(event.metadata[by]) <= at)
    .map(toProjectedEvent)
    .filter((event): event is ProjectedEvent => event !== undefined);
  const summary = fold(customerSummaryProjection, events).get(customerId) as CustomerSummary | undefined;
  const funnel = fold(funnelProjection, events).get(customerId) as FunnelPosition | undefined;
  const facts = fold(loyaltyProjection, events).get(customerId) as LoyaltyFacts | undefined;
  return {
    customerId,
    asOf: at,
    by,
    events: events.length,
    funnelStage: funnel?.stage ?? null,
    loyalty: loyaltyScore(facts ?? null, at, ledgerCurrency),
    summary: summary && { ...summary, name: undefined, email: undefined, phone: undefined },
    timeline: [...events]
      .reverse()
      .map((event) => ({ occurredAt: event.occurredAt, type: event.type, summary: summarize(event) })),
  };
}
