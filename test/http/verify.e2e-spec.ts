import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { aTouchpoint } from '../fixtures/touchpoints';
import { LedgerTestApp } from '../support/ledger-app';

/** `GET /v1/audit/verify` against events removed from the SQLite file behind the service's back. */
describe('GET /v1/audit/verify: completeness', () => {
  let ledger: LedgerTestApp;

  beforeEach(async () => {
    ledger = await LedgerTestApp.start();
  });
  afterEach(async () => {
    await ledger.stop();
  });

  async function browsing(customerId: string, count: number) {
    const response = await ledger.post('/v1/touchpoints/batch', {
      touchpoints: Array.from({ length: count }, (_, n) =>
        aTouchpoint(customerId, 'browse', { productId: `p-${n}` }),
      ),
    });
    expect(response.status).toBe(201);
    return response.body.results as { position: number }[];
  }

  function tamper(sql: string, ...parameters: unknown[]): void {
    const raw = new Database(join(ledger.config.dataDir, 'events.db'));
    raw.prepare(sql).run(...parameters);
    raw.close();
  }

  it("reports a customer's removed last event, for the customer and for the whole log", async () => {
    const customerId = `removed-last-${randomUUID().slice(0, 8)}`;
    const written = await browsing(customerId, 3);
    await browsing(`later-${randomUUID().slice(0, 8)}`, 2);
    expect((await ledger.get(`/v1/audit/verify?customerId=${customerId}`)).body).toEqual({
      ok: true,
      streams: 1,
      events: 3,
    });

    tamper('DELETE FROM events WHERE position = ?', written[2]!.position);
    const one = await ledger.get(`/v1/audit/verify?customerId=${customerId}`);
    const whole = await ledger.get('/v1/audit/verify');

    expect(one.body.firstBreak).toEqual({
      streamId: `customer-${customerId}`,
      streamRevision: 2,
      reason:
        "the stream's head records revision 2, but its events end at revision 1: its last events were removed",
    });
    expect(whole.body).toMatchObject({ ok: false, firstBreak: { position: written[2]!.position } });
  });

  it("reports a whole customer stream removed from the end of the log by the store's own count", async () => {
    await browsing(`kept-${randomUUID().slice(0, 8)}`, 2);
    const customerId = `removed-${randomUUID().slice(0, 8)}`;
    const written = await browsing(customerId, 2);
    expect((await ledger.get('/v1/audit/verify')).body).toEqual({ ok: true, streams: 2, events: 4 });

    const streamId = `customer-${customerId}`;
    tamper(
      'DELETE FROM events WHERE stream_key = (SELECT stream_key FROM streams WHERE stream_id = ?)',
      streamId,
    );
    tamper('DELETE FROM streams WHERE stream_id = ?', streamId);
    const whole = await ledger.get('/v1/audit/verify');

    expect(whole.body).toEqual({
      ok: false,
      streams: 1,
      events: 2,
      firstBreak: {
        position: written[0]!.position,
        reason:
          'the store counted 4 events in 2 streams as it appended them, the log holds 2 events in 1 stream: events or whole streams were removed',
      },
    });
    expect((await ledger.get(`/v1/audit/verify?customerId=${customerId}`)).status).toBe(404);
  });
});
