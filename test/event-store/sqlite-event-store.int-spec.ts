import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteEventStore } from '../../src/adapters/sqlite/sqlite-event-store';
import { verifyChains } from '../../src/ports/hash-chain';
import { eventStoreContract } from '../contract/event-store.contract';
import { aNewEvent, someNewEvents } from '../support/events';

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

  it('redacts old events of a type by retention, keeps the chain verifiable and leaves others untouched', async () => {
    const file = join(directory, 'retention.db');
    const store = createSqliteEventStore({ file });
    const at = (day: number) => ({
      occurredAt: `2026-01-${String(day).padStart(2, '0')}T10:00:00.000Z`,
      actor: 'test',
    });
    await store.append([
      {
        streamId: 'customer-r',
        expectedRevision: 'no_stream',
        events: [
          aNewEvent({ type: 'ProductBrowsed', data: { productId: 'secret-old-product' }, metadata: at(1) }),
          aNewEvent({ type: 'PurchaseCompleted', data: { orderId: 'A-1' }, metadata: at(2) }),
          aNewEvent({ type: 'ProductBrowsed', data: { productId: 'p-new' }, metadata: at(20) }),
        ],
      },
    ]);

    const redacted = await store.applyRetention(
      [{ type: 'ProductBrowsed', maxAgeDays: 10 }],
      new Date('2026-01-25T00:00:00Z'),
    );
    const events = await store.readStream('customer-r');
    await store.close();

    expect(redacted).toEqual({ ProductBrowsed: 1 });
    expect(events.map((event) => [event.data, event.redactedAt !== undefined])).toEqual([
      [{}, true],
      [{ orderId: 'A-1' }, false],
      [{ productId: 'p-new' }, false],
    ]);
    expect(await verifyChains(events)).toEqual({ ok: true, streams: 1, events: 3, redacted: 1 });
    for (const suffix of ['', '-wal']) {
      const bytes = existsSync(file + suffix) ? readFileSync(file + suffix) : Buffer.alloc(0);
      expect(bytes.includes(Buffer.from('secret-old-product'))).toBe(false);
    }
  });
});
