import Database from 'better-sqlite3';
import { join } from 'node:path';
import { QueryBus } from '@nestjs/cqrs';
import {
  ExportSubject,
  ReadAuditTrail,
  VerifyChains,
} from '../../src/application/gdpr/personal-data.queries';
import { EVENT_STORE, EventStore, READ_PAGE_SIZE } from '../../src/ports/event-store.port';
import { appendHistory } from '../support/customer-history';
import { aRegistration } from '../fixtures/touchpoints';
import { LedgerTestApp } from '../support/ledger-app';

/** How many times the event loop came round (timers and I/O could run) while the work went on. */
async function loopTurnsDuring(work: () => Promise<void>): Promise<number> {
  let turns = 0;
  let running = true;
  const turn = () => {
    if (!running) return;
    turns++;
    setImmediate(turn);
  };
  setImmediate(turn);
  await work();
  running = false;
  return turns;
}

/** More events than five pages of the paged reads, so that every answer crosses page boundaries. */
const EVENTS = READ_PAGE_SIZE * 5 + 123;

describe('reads that grow with a customer history: export, audit trail, verification', () => {
  let ledger: LedgerTestApp;
  let store: EventStore;
  /** How many events each record's stream holds, as the store reads them whole. */
  const stored = async (customerId: string) => (await store.readStream(`customer-${customerId}`)).length;

  beforeAll(async () => {
    ledger = await LedgerTestApp.start();
    store = ledger.app.get<EventStore>(EVENT_STORE);
    await ledger.post('/v1/customers', aRegistration({ customerId: 'long-1', email: 'long@example.org' }));
    await appendHistory(store, 1, EVENTS, 500, () => 'long-1');
    // A duplicate with a history of its own, merged into the long one: its events come after the survivor's.
    await ledger.post('/v1/customers', aRegistration({ customerId: 'dup-1', email: 'dup@example.org' }));
    await appendHistory(store, 1, READ_PAGE_SIZE + 7, 500, () => 'dup-1');
    expect((await ledger.post('/v1/customers/long-1/merge', { duplicateId: 'dup-1' })).status).toBe(201);
    await ledger.projected();
  });
  afterAll(() => ledger.stop());

  it('exports every event of the customer and of the record merged into it, in order, across pages', async () => {
    const exported = await ledger.get('/v1/customers/long-1/export');

    expect(exported.status).toBe(200);
    expect(exported.headers['content-type']).toBe('application/json; charset=utf-8');
    const events = exported.body.events as { streamId: string; streamRevision: number; data: object }[];
    expect(events).toHaveLength((await stored('long-1')) + (await stored('dup-1')));
    expect(await stored('long-1')).toBeGreaterThan(EVENTS);
    const survivor = events.filter((event) => event.streamId === 'customer-long-1');
    const duplicate = events.filter((event) => event.streamId === 'customer-dup-1');
    expect(survivor.map((event) => event.streamRevision)).toEqual([...survivor.keys()]);
    expect(duplicate.map((event) => event.streamRevision)).toEqual([...duplicate.keys()]);
    expect(events.indexOf(duplicate[0]!)).toBe(survivor.length);
    expect(duplicate[0]).toMatchObject({ type: 'CustomerRegistered', data: { email: 'dup@example.org' } });
    expect(exported.body.readModels.summary).toMatchObject({ customerId: 'long-1' });
  });

  it('tells contact changes in the audit trail across pages and records', async () => {
    const trail = await ledger.get('/v1/audit/customers/long-1');

    expect(trail.status).toBe(200);
    expect(trail.body.events).toHaveLength((await stored('long-1')) + (await stored('dup-1')));
    const registrations = trail.body.events.filter(
      (event: { type: string }) => event.type === 'CustomerRegistered',
    );
    // The duplicate's registration, pages after the survivor's, is told against the survivor's address.
    expect(registrations.map((event: { changes: object[] }) => event.changes)).toEqual([
      expect.arrayContaining([{ field: 'email', before: null, after: 'long@example.org' }]),
      expect.arrayContaining([{ field: 'email', before: 'long@example.org', after: 'dup@example.org' }]),
    ]);
  });

  it('answers 404 problem+json before writing anything for a customer without events', async () => {
    for (const url of ['/v1/customers/nobody-9/export', '/v1/audit/customers/nobody-9']) {
      const answer = await ledger.get(url);
      expect([url, answer.status, answer.headers['content-type']]).toEqual([
        url,
        404,
        expect.stringMatching(/^application\/problem\+json/),
      ]);
    }
  });

  it.each([
    ['the export', () => new ExportSubject('long-1')],
    ['the audit trail', () => new ReadAuditTrail('long-1')],
    ['the verification of one customer', () => new VerifyChains('long-1')],
  ])('gives the event loop a turn between the pages of %s', async (_, query) => {
    const turns = await loopTurnsDuring(async () => {
      const answer: unknown = await ledger.app.get(QueryBus).execute(query());
      if (answer && typeof answer === 'object' && Symbol.asyncIterator in answer) {
        for await (const piece of answer as AsyncIterable<string>) void piece;
      }
    });

    // Other requests (appends, /health) run in those turns; a read held whole would leave none.
    expect(turns).toBeGreaterThanOrEqual(5);
  });

  it('verifies the customer page by page and finds a change on a late page', async () => {
    expect((await ledger.get('/v1/audit/verify?customerId=long-1')).body).toMatchObject({ ok: true });

    const late = READ_PAGE_SIZE * 4 + 17;
    expect(await stored('long-1')).toBeGreaterThan(late);
    const raw = new Database(join(ledger.config.dataDir, 'events.db'));
    raw
      .prepare(
        `UPDATE events SET data = '{"productId":"p-forged"}' WHERE stream_key = (SELECT stream_key FROM streams WHERE stream_id = ?) AND stream_revision = ?`,
      )
      .run('customer-long-1', late);
    raw.close();

    expect((await ledger.get('/v1/audit/verify?customerId=long-1')).body).toMatchObject({
      ok: false,
      firstBreak: { streamId: 'customer-long-1', streamRevision: late },
    });
  });
});
