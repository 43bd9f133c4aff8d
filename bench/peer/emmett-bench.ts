/**
 * The peer side of bench/peer-comparison.ts (issue #12): Emmett's SQLite event store (@event-driven-io/emmett-sqlite)
 * appending and folding the same events as our store. It lives in bench/peer/ so that it resolves Emmett, sqlite3
 * and commander 12 from bench/peer/node_modules (the root uses commander 14, which emmett 0.38.5 does not accept).
 *
 * Run by bench/peer-comparison.ts as a child process with one JSON argument (PeerRun); writes its PeerResult as
 * JSON to the run's resultFile (stdout is not free: Emmett logs failed transactions there with console.log).
 */
import { getSQLiteEventStore, readMessagesBatch, sqliteConnection } from '@event-driven-io/emmett-sqlite';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventTemplate, PeerResult, PeerRun, percentile, StreamTotals } from './protocol';

function now(): bigint {
  return process.hrtime.bigint();
}

function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function packageVersion(name: string): string {
  // Read from the file: these packages do not export their package.json.
  const file = join(__dirname, 'node_modules', name, 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

async function run(spec: PeerRun): Promise<PeerResult> {
  const templates = JSON.parse(readFileSync(spec.templatesFile, 'utf8')) as EventTemplate[];
  const eventAt = (index: number) => templates[index % templates.length]!;
  const fileName = join(spec.directory, 'emmett.db');
  const store = getSQLiteEventStore({ fileName });

  // Emmett opens a connection per operation and closes it afterwards; this one stays open for the whole run, as
  // a running consumer's would, so that each close is not the last one (which checkpoints the WAL into the
  // database file). It also reads the settings Emmett's own connections get and serves the fold.
  const connection = sqliteConnection({ fileName });
  const journal = await connection.querySingle<{ journal_mode: string }>('PRAGMA journal_mode');
  const synchronous = await connection.querySingle<{ synchronous: number }>('PRAGMA synchronous');
  const sqlite = await connection.querySingle<{ version: string }>('SELECT sqlite_version() AS version');

  // emmett-sqlite 0.38.5 runs COMMIT without waiting for the statement that read `RETURNING` through
  // Database#get to be finalized, so a commit now and then fails with SQLITE_BUSY ("SQL statements in progress")
  // and the append is rolled back. A caller would retry it; so does this bench, counting how often.
  let retried = 0;
  const append = async (streamName: string, events: EventTemplate[]) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await store.appendToStream(streamName, events);
      } catch (error) {
        if (attempt >= 5 || (error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
        retried++;
      }
    }
  };

  const latencies: number[] = [];
  const singlesStart = now();
  for (let index = 0; index < spec.singles; index++) {
    const start = now();
    await append(`customer-${index % spec.streams}`, [eventAt(index)]);
    latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const singlesSeconds = secondsSince(singlesStart);
  latencies.sort((a, b) => a - b);

  const batchLatencies: number[] = [];
  const batchesStart = now();
  for (let batch = 0; batch < spec.batches; batch++) {
    const first = spec.singles + batch * spec.batchSize;
    const events = Array.from({ length: spec.batchSize }, (_, i) => eventAt(first + i));
    const start = now();
    await append(`customer-${batch % spec.streams}`, events);
    batchLatencies.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const batchesSeconds = secondsSince(batchesStart);
  batchLatencies.sort((a, b) => a - b);

  // The global log in order, page by page, through the function Emmett's own consumers pull with.
  const totals = new StreamTotals();
  const foldStart = now();
  let after = 0n;
  for (;;) {
    const page = await readMessagesBatch(connection, { after, batchSize: spec.foldPageSize });
    for (const message of page.messages) {
      totals.evolve(message.metadata.streamName, message.type, message.data as Record<string, unknown>);
    }
    if (page.messages.length === 0) break;
    after = page.currentGlobalPosition;
  }
  const foldSeconds = secondsSince(foldStart);
  const summary = totals.summary();
  connection.close();

  return {
    versions: {
      emmett: packageVersion('@event-driven-io/emmett'),
      emmettSqlite: packageVersion('@event-driven-io/emmett-sqlite'),
      sqlite3: packageVersion('sqlite3'),
      sqlite: sqlite?.version ?? 'unknown',
    },
    journalMode: journal?.journal_mode ?? 'unknown',
    synchronous: synchronous?.synchronous ?? -1,
    retriedAppends: retried,
    singles: {
      events: spec.singles,
      seconds: singlesSeconds,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
    },
    batches: {
      events: spec.batches * spec.batchSize,
      seconds: batchesSeconds,
      p50Ms: percentile(batchLatencies, 50),
      p99Ms: percentile(batchLatencies, 99),
    },
    fold: { events: summary.events, seconds: foldSeconds, totals: summary },
  };
}

if (require.main === module) {
  const spec = JSON.parse(process.argv[2] ?? '{}') as PeerRun;
  run(spec).then(
    (result) => writeFileSync(spec.resultFile, JSON.stringify(result)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
