import { parse } from 'csv-parse';
import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { v5 as uuidv5 } from 'uuid';
import { CommandEnvelope, CustomerLedger } from '../../application/customers/customer-ledger';
import { DomainError, RejectedCommands } from '../../domain/domain-error';
import {
  ParsedTouchpoint,
  parseTouchpoint,
} from '../../application/customers/record-touchpoint/touchpoint.dto';
import { toEnvelope } from '../../application/customers/recording-fields.dto';
import { FieldProblem } from '../../validation/request-validation';
import { ImportPreset, RowOutcome, TouchpointInput } from './import-presets';

/** Namespace of the event ids derived from (file name, row key): re-importing a file appends nothing twice. */
const IMPORT_NAMESPACE = '5d1c7a3e-2f0b-4b7e-9a57-2c9f1f6c8e11';

export interface Rejection {
  readonly line: number;
  readonly problems: readonly FieldProblem[];
}

export interface ImportSummary {
  rows: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  skipped: Record<string, number>;
  /** The first rejections with their line numbers and reasons (all of them go to `onRejected`). */
  firstRejections: Rejection[];
}

export interface ImportOptions {
  readonly file: string;
  /** How CSV rows become touchpoints; without one the file is NDJSON in the API's touchpoint shape. */
  readonly preset?: ImportPreset;
  readonly ledger: CustomerLedger;
  readonly actor: string;
  readonly batchSize?: number;
  readonly onProgress?: (bytesRead: number, totalBytes: number, summary: ImportSummary) => void;
  readonly onRejected?: (rejection: Rejection) => void;
}

interface Pending {
  readonly line: number;
  readonly parsed: ParsedTouchpoint;
}

/**
 * Streams a file (optionally gzipped) through the same validation and command path as the API, in batches,
 * with constant memory whatever the file size.
 */
export async function importTouchpoints(options: ImportOptions): Promise<ImportSummary> {
  const summary: ImportSummary = {
    rows: 0,
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    skipped: {},
    firstRejections: [],
  };
  const totalBytes = statSync(options.file).size;
  const file = createReadStream(options.file);
  const input: Readable = options.file.endsWith('.gz') ? file.pipe(createGunzip()) : file;
  const batchSize = options.batchSize ?? 1000;
  const fileName = basename(options.file);
  let batch: Pending[] = [];

  const reject = (line: number, problems: readonly FieldProblem[]) => {
    summary.rejected++;
    const rejection = { line, problems };
    if (summary.firstRejections.length < 20) summary.firstRejections.push(rejection);
    options.onRejected?.(rejection);
  };
  const take = async (outcome: RowOutcome, line: number) => {
    if (outcome.skipped) summary.skipped[outcome.skipped] = (summary.skipped[outcome.skipped] ?? 0) + 1;
    for (const { key, touchpoint } of outcome.touchpoints) {
      const withId: TouchpointInput = {
        eventId: uuidv5(`${fileName}:${key}`, IMPORT_NAMESPACE),
        ...touchpoint,
      };
      const { parsed, problems } = parseTouchpoint(withId);
      if (parsed) batch.push({ line, parsed });
      else reject(line, problems);
    }
    if (batch.length >= batchSize) {
      await record(batch, options, summary, reject);
      batch = [];
      options.onProgress?.(file.bytesRead, totalBytes, summary);
    }
  };

  if (options.preset?.layout?.separator === 'whitespace') {
    let columns = options.preset.layout.columns;
    let line = 0;
    for await (const text of createInterface({ input, crlfDelay: Infinity })) {
      line++;
      const fields = text.trim().split(/\s+/);
      if (fields[0] === '') continue;
      if (!columns) {
        columns = fields;
        continue;
      }
      summary.rows++;
      const row = Object.fromEntries(columns.map((name, i) => [name, fields[i] ?? '']));
      await take(options.preset.map(row, line), line);
    }
    if (options.preset.finish) await take(options.preset.finish(), line + 1);
  } else if (options.preset) {
    const parser = input.pipe(
      parse({ columns: true, bom: true, skip_empty_lines: true, relax_column_count: true, info: true }),
    );
    for await (const { record: row, info } of parser as AsyncIterable<{
      record: Record<string, string>;
      info: { lines: number };
    }>) {
      summary.rows++;
      await take(options.preset.map(row, info.lines), info.lines);
    }
    if (options.preset.finish) await take(options.preset.finish(), summary.rows + 1);
  } else {
    let line = 0;
    for await (const text of createInterface({ input, crlfDelay: Infinity })) {
      line++;
      if (text.trim() === '') continue;
      summary.rows++;
      let touchpoint: TouchpointInput;
      try {
        touchpoint = JSON.parse(text) as TouchpointInput;
      } catch (error) {
        reject(line, [{ field: 'line', message: `malformed JSON: ${(error as Error).message}` }]);
        continue;
      }
      await take({ touchpoints: [{ key: `line-${line}`, touchpoint }] }, line);
    }
  }
  if (batch.length > 0) await record(batch, options, summary, reject);
  options.onProgress?.(totalBytes, totalBytes, summary);
  return summary;
}

/** Records a batch atomically; when a touchpoint breaks a rule, records them one by one to isolate it. */
async function record(
  batch: readonly Pending[],
  options: ImportOptions,
  summary: ImportSummary,
  reject: (line: number, problems: readonly FieldProblem[]) => void,
): Promise<void> {
  const now = new Date();
  const context = {
    actor: options.actor,
    causationId: `import:${basename(options.file)}`,
    correlationId: `import:${basename(options.file)}`,
    now,
  };
  const envelopes = (items: readonly Pending[]): CommandEnvelope[] =>
    items.map(({ parsed }) =>
      toEnvelope(parsed.envelope.customerId, parsed.envelope, now, {
        kind: 'RecordTouchpoint',
        touchpoint: parsed.touchpoint,
      }),
    );
  const count = (outcomes: readonly { duplicate: boolean }[]) =>
    outcomes.forEach((outcome) => (outcome.duplicate ? summary.duplicates++ : summary.accepted++));
  try {
    count(await options.ledger.execute(envelopes(batch), context));
  } catch (error) {
    if (!(error instanceof DomainError || error instanceof RejectedCommands)) throw error;
    for (const item of batch) {
      try {
        count(await options.ledger.execute(envelopes([item]), context));
      } catch (single) {
        if (!(single instanceof DomainError)) throw single;
        reject(item.line, [{ field: single.field ?? 'touchpoint', message: single.message }]);
      }
    }
  }
}
