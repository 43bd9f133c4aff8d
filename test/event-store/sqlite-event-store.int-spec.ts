import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteEventStore } from '../../src/event-store/sqlite-event-store';
import { verifyChains } from '../../src/event-store/hash-chain';
import { eventStoreContract } from '../contract/event-store.contract';
import { someNewEvents } from '../support/events';

const directory = mkdtempSync(join(tmpdir(), 'ledger-sqlite-store-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

let counter = 0;
eventStoreContract('SQLite', async () =>
  createSqliteEventStore({ file: join(directory, `store-${counter++}.db`) }),
);

describe('SQLite event store specifics', () => {
  it('runs in WAL mode with synchronous=FULL and keeps events across reopen', async () => {
    const file = join(directory, 'reopen.db');
    const store = createSqliteEventStore({ file });
    await store.append([{ streamId: 'customer-a', expectedRevision: 'no_stream', events: someNewEvents(3) }]);
    await store.close();

    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
    const reopened = createSqliteEventStore({ file });
    expect(await reopened.readStream('customer-a')).toHaveLength(3);
    await reopened.close();
  });

  it('shares one commit among appends issued together and still stores each exactly once', async () => {
    const store = createSqliteEventStore({ file: join(directory, 'group.db') });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        store.append([
          { streamId: `customer-${index % 5}`, expectedRevision: 'any', events: someNewEvents(2) },
        ]),
      ),
    );
    const positions = results.flatMap(([result]) => result!.events.map((event) => event.position));
    expect(new Set(positions).size).toBe(100);
    const all = await store.readAll({ maxCount: 1000 });
    expect(all).toHaveLength(100);
    expect((await verifyChains(all)).ok).toBe(true);
    await store.close();
  });

  it('reports a tampered event as the first break of its chain', async () => {
    const file = join(directory, 'tamper.db');
    const store = createSqliteEventStore({ file });
    await store.append([{ streamId: 'customer-t', expectedRevision: 'no_stream', events: someNewEvents(4) }]);
    await store.close();

    const raw = new Database(file);
    raw.prepare(`UPDATE events SET data = '{"productId":"forged"}' WHERE stream_revision = 2`).run();
    raw.close();

    const reopened = createSqliteEventStore({ file });
    const report = await verifyChains(await reopened.readStream('customer-t'));
    expect(report.ok).toBe(false);
    expect(report.firstBreak).toMatchObject({ streamId: 'customer-t', streamRevision: 2 });
    expect(report.firstBreak!.reason).toMatch(/hash does not match/);
    await reopened.close();
  });
});
