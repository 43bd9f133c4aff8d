import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateAnchorKeyPair } from '../../src/application/gdpr/anchor';
import { EventStore } from '../../src/ports/event-store.port';
import { canonicalEvent, canonicalJson, chainHash, VerificationReport } from '../../src/ports/hash-chain';
import {
  anchorLog,
  verifyLog,
  verifyLogAgainstAnchor,
  VerifyLogOptions,
} from '../../src/application/gdpr/log-verification';
import { createSqliteEventStore } from '../../src/adapters/sqlite/sqlite-event-store';
import { aNewEvent, someNewEvents } from '../support/events';

/**
 * Tampering with a real events.db behind the store's back, the way someone with the file would: raw SQL on
 * the closed file, then verification as `ledger verify` and `GET /v1/audit/verify` run it.
 */
const directory = mkdtempSync(join(tmpdir(), 'ledger-tamper-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** Streams in position order: a0 b0 a1 c0 b1 a2 c1 b2 d0 d1 at positions 1 to 10. */
const LOG = ['a', 'b', 'a', 'c', 'b', 'a', 'c', 'b', 'd', 'd'].map((letter) => `customer-${letter}`);

let files = 0;
async function aStoreFile(): Promise<string> {
  const file = join(directory, `events-${files++}.db`);
  const store = createSqliteEventStore({ file });
  for (const [index, streamId] of LOG.entries()) {
    await store.append([
      { streamId, expectedRevision: 'any', events: [aNewEvent({ data: { productId: `p-${index + 1}` } })] },
    ]);
  }
  await store.close();
  return file;
}

async function withStore<T>(file: string, work: (store: EventStore) => Promise<T>): Promise<T> {
  const store = createSqliteEventStore({ file });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

const verifyFile = (file: string, options?: VerifyLogOptions): Promise<VerificationReport> =>
  withStore(file, (store) => verifyLog(store, options));

function tamper(file: string, edit: (db: Database.Database) => void): void {
  const db = new Database(file);
  try {
    edit(db);
  } finally {
    db.close();
  }
}

/** Gives two events each other's position, through a free one since position is the primary key. */
function swapPositions(db: Database.Database, first: number, second: number): void {
  const move = db.prepare('UPDATE events SET position = ? WHERE position = ?');
  db.transaction(() => {
    move.run(-1, first);
    move.run(first, second);
    move.run(second, -1);
  })();
}

function deleteStream(db: Database.Database, streamId: string): void {
  db.prepare(
    'DELETE FROM events WHERE stream_key = (SELECT stream_key FROM streams WHERE stream_id = ?)',
  ).run(streamId);
  db.prepare('DELETE FROM streams WHERE stream_id = ?').run(streamId);
}

describe('verification against tampering with the SQLite file', () => {
  const signer = generateAnchorKeyPair();
  const privateKey = createPrivateKey(signer.privateKeyPem);
  const publicKey = createPublicKey(signer.publicKeyPem);

  it('finds an untouched store intact', async () => {
    expect(await verifyFile(await aStoreFile())).toEqual({ ok: true, streams: 4, events: 10 });
  });

  it("catches a byte flipped in an event's data", async () => {
    const file = await aStoreFile();
    tamper(file, (db) => {
      const data = db.prepare('SELECT data FROM events WHERE position = 5').pluck().get() as string;
      const bytes = Buffer.from(data);
      const at = bytes.indexOf('p-5');
      bytes[at] = bytes[at]! ^ 0x01; // "p-5" becomes "q-5": still valid JSON, another value
      db.prepare('UPDATE events SET data = ? WHERE position = 5').run(bytes.toString());
    });

    expect((await verifyFile(file)).firstBreak).toEqual({
      streamId: 'customer-b',
      streamRevision: 1,
      position: 5,
      reason: 'hash does not match the event content',
    });
  });

  it('catches the last event of a stream deleted, in the middle of the log and at its end', async () => {
    const middle = await aStoreFile();
    tamper(middle, (db) => db.prepare('DELETE FROM events WHERE position = 7').run());
    const end = await aStoreFile();
    tamper(end, (db) => db.prepare('DELETE FROM events WHERE position = 10').run());

    expect((await verifyFile(middle)).firstBreak).toEqual({
      position: 7,
      reason: 'no event at position 7: the log goes on at 8, an event was removed',
    });
    expect((await verifyFile(end)).firstBreak).toEqual({
      streamId: 'customer-d',
      streamRevision: 1,
      reason:
        "the stream's head records revision 1, but its events end at revision 0: its last events were removed",
    });
  });

  it("catches a deleted last event whose stream head was set back to match, by the store's own count", async () => {
    const file = await aStoreFile();
    tamper(file, (db) => {
      const previous = db.prepare('SELECT hash FROM events WHERE position = 9').pluck().get() as Buffer;
      db.prepare('DELETE FROM events WHERE position = 10').run();
      db.prepare("UPDATE streams SET revision = 0, last_hash = ? WHERE stream_id = 'customer-d'").run(
        previous,
      );
    });

    expect((await verifyFile(file)).firstBreak).toEqual({
      position: 10,
      reason:
        'the store counted 10 events in 4 streams as it appended them, the log holds 9 events in 4 streams: events or whole streams were removed',
    });
  });

  it('catches a whole stream deleted (its events and its record), in the middle of the log and at its end', async () => {
    const middle = await aStoreFile();
    tamper(middle, (db) => deleteStream(db, 'customer-c'));
    const end = await aStoreFile();
    tamper(end, (db) => deleteStream(db, 'customer-d'));

    expect((await verifyFile(middle)).firstBreak).toMatchObject({
      position: 4,
      reason: expect.stringContaining('no event at position 4'),
    });
    expect((await verifyFile(end)).firstBreak).toEqual({
      position: 9,
      reason:
        'the store counted 10 events in 4 streams as it appended them, the log holds 8 events in 3 streams: events or whole streams were removed',
    });
  });

  it('catches two events of a stream that changed places', async () => {
    const file = await aStoreFile();
    tamper(file, (db) => swapPositions(db, 3, 6));

    expect((await verifyFile(file)).firstBreak).toEqual({
      streamId: 'customer-a',
      streamRevision: 2,
      position: 3,
      reason: 'revision 2 follows 0: an event is missing or out of order',
    });
  });

  it('catches, against an anchor, events of two streams that changed places and a stream rewritten with fresh hashes', async () => {
    const reordered = await aStoreFile();
    const rewritten = await aStoreFile();
    const anchors = await Promise.all(
      [reordered, rewritten].map((file) =>
        withStore(file, async (store) => (await anchorLog(store, privateKey, { now: new Date() })).anchor!),
      ),
    );
    // Neither event is the last of its stream, so every head stays as it was.
    tamper(reordered, (db) => swapPositions(db, 2, 3));
    // A forger who recomputes the chain, the head and leaves the counts: only the anchor remembers.
    await withStore(rewritten, async (store) => {
      const events = await store.readStream('customer-b');
      tamper(rewritten, (db) => {
        let prevHash = events[0]!.hash;
        for (const event of events.slice(1)) {
          const data = { productId: `forged-${event.streamRevision}` };
          const forged = chainHash(
            prevHash,
            canonicalEvent({ ...event, data }, event.streamId, event.streamRevision),
          );
          db.prepare('UPDATE events SET data = ?, prev_hash = ?, hash = ? WHERE position = ?').run(
            canonicalJson(data),
            Buffer.from(prevHash, 'hex'),
            Buffer.from(forged, 'hex'),
            event.position,
          );
          prevHash = forged;
        }
        db.prepare("UPDATE streams SET last_hash = ? WHERE stream_id = 'customer-b'").run(
          Buffer.from(prevHash, 'hex'),
        );
      });
    });

    expect(await verifyFile(rewritten)).toMatchObject({ ok: true });
    const [againstReordered, againstRewritten] = await Promise.all(
      [reordered, rewritten].map((file, index) =>
        withStore(file, (store) => verifyLogAgainstAnchor(store, anchors[index]!, publicKey)),
      ),
    );
    expect(againstReordered).toMatchObject({
      ok: false,
      firstBreak: {
        position: 1,
        reason:
          'the log between positions 1 and 10 differs from the anchored one: events were reordered, inserted, removed or rewritten',
      },
      anchor: { position: 10, events: 10, streams: 4, keyId: signer.keyId },
    });
    expect(againstRewritten!.firstBreak).toEqual({
      streamId: 'customer-b',
      streamRevision: 2,
      position: 8,
      reason: 'revision 2 of the stream has another hash than the anchored one: the stream was rewritten',
    });
  });

  it('counts a file from before the log summary as it stands, and a removed count as nothing counted', async () => {
    const upgraded = await aStoreFile();
    tamper(upgraded, (db) => db.exec('DROP TABLE log_summary'));
    const uncounted = await aStoreFile();
    tamper(uncounted, (db) => db.exec('DELETE FROM log_summary'));

    expect(await verifyFile(upgraded)).toEqual({ ok: true, streams: 4, events: 10 });
    expect((await verifyFile(uncounted)).firstBreak?.reason).toMatch(
      /^the store counted 0 events in 0 streams/,
    );
  });

  it('verifies while another process appends: heads ahead of the walk are followed into the events since', async () => {
    const file = join(directory, 'busy.db');
    const store = createSqliteEventStore({ file });
    const streams = Array.from({ length: 50 }, (_, index) => `customer-busy-${index}`);
    for (let round = 0; round < 100; round++) {
      await store.append(
        streams.map((streamId) => ({ streamId, expectedRevision: 'any', events: someNewEvents(3) })),
      );
    }
    const writer = spawn(
      process.execPath,
      [
        '-r',
        'ts-node/register/transpile-only',
        join(__dirname, '..', 'support', 'append-until-killed.ts'),
        file,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise((resolve) => writer.once('exit', resolve));
    let appended = 0;
    writer.stdout.on('data', (chunk: Buffer) => (appended += chunk.toString().split('\n').length - 1));
    await waitUntil(() => appended >= 20);

    const appendedBefore = appended;
    const report = await verifyLog(store);
    await waitUntil(() => appended >= appendedBefore + 20);
    writer.kill('SIGKILL');
    await exited;
    const after = await verifyLog(store);
    await store.close();

    expect(report).toMatchObject({ ok: true });
    expect(report.events).toBeGreaterThanOrEqual(15_000 + 3 * appendedBefore);
    expect(after).toMatchObject({ ok: true });
    expect(after.events).toBeGreaterThan(report.events);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
