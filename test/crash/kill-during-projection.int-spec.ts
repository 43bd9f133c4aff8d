import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { PROJECTIONS } from '../../projections/catalog';
import { createSqliteEventStore } from '../../src/adapters/sqlite/sqlite-event-store';
import { collectionName, ProjectionEngine } from '../../src/application/read-models/projection-engine';
import { ReadStore } from '../../src/ports/read-store.port';
import { createSqliteReadStore } from '../../src/adapters/sqlite/sqlite-read-store';
import { appendHistory } from '../support/customer-history';

/**
 * Kills a process with SIGKILL while it folds 40,000 events into the read models, resumes in a new engine,
 * and compares every document with a from-scratch rebuild: nothing lost, nothing folded twice.
 */
describe('kill -9 during projection', () => {
  const directory = mkdtempSync(join(tmpdir(), 'ledger-projection-crash-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('resumes from the checkpoint to the same read models as a rebuild from scratch', async () => {
    const eventsFile = join(directory, 'events.db');
    const seeding = createSqliteEventStore({ file: eventsFile });
    const total = await appendHistory(seeding, 400, 100);
    await seeding.close();

    const killedAt = await new Promise<number>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          '-r',
          'ts-node/register/transpile-only',
          join(__dirname, '..', 'support', 'project-until-killed.ts'),
          eventsFile,
          join(directory, 'crashed.db'),
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let last = 0;
      child.stdout.on('data', (chunk: Buffer) => {
        last = Number(chunk.toString().trim().split('\n').pop());
        if (last > 0 && child.exitCode === null && !child.killed) child.kill('SIGKILL');
      });
      child.on('exit', () => resolve(last));
      child.on('error', reject);
    });
    expect(killedAt).toBeGreaterThan(0);
    expect(killedAt).toBeLessThan(total);

    const resumed = await foldAll(eventsFile, join(directory, 'crashed.db'));
    const scratch = await foldAll(eventsFile, join(directory, 'scratch.db'));
    for (const projection of PROJECTIONS) {
      const collection = collectionName(projection.name, 1);
      const [a, b] = await Promise.all([documents(resumed, collection), documents(scratch, collection)]);
      expect(a.size).toBeGreaterThan(0);
      expect(a).toEqual(b);
    }
    const summary = await resumed.get<{ eventCount: number }>(collectionName('customer-summary', 1), 'h7');
    expect(summary!.eventCount).toBe(100);
    await resumed.close();
    await scratch.close();
  });
});

async function foldAll(eventsFile: string, readsFile: string): Promise<ReadStore> {
  const events = createSqliteEventStore({ file: eventsFile });
  const reads = createSqliteReadStore(readsFile);
  const engine = new ProjectionEngine(events, reads, PROJECTIONS, pino({ level: 'silent' }));
  await engine.start();
  await engine.caughtUp(60_000);
  await engine.stop();
  await events.close();
  return reads;
}

async function documents(reads: ReadStore, collection: string): Promise<Map<string, unknown>> {
  const all = new Map<string, unknown>();
  for await (const doc of reads.scan<Record<string, unknown>>(collection)) {
    all.set(String(doc.entryId ?? doc.customerId), doc);
  }
  return all;
}
