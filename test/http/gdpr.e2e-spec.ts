import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CustomerLedger } from '../../src/application/customers/customer-ledger';
import { LedgerTestApp } from '../support/ledger-app';
import { aPurchase, aRegistration, aTouchpoint } from '../fixtures/touchpoints';

describe('GDPR: erasure, export, audit trail, verification, e-mail lookup', () => {
  let ledger: LedgerTestApp;

  beforeAll(async () => {
    ledger = await LedgerTestApp.start();
  });
  afterAll(async () => {
    await ledger.stop();
  });

  const filesOf = () =>
    readdirSync(ledger.config.dataDir).map((file) => readFileSync(join(ledger.config.dataDir, file)));

  it('erases a customer: key destroyed, reads show erased, history still counts, chain verifies, nothing recovers the PII', async () => {
    const customerId = `c-${randomUUID().slice(0, 8)}`;
    const secrets = {
      name: 'Philomena Erasable-Person',
      email: 'philomena.erasable@forget.example',
      comment: 'Ask for Philomena at the till',
    };
    await ledger.post(
      '/v1/customers',
      aRegistration({ customerId, name: secrets.name, email: secrets.email }),
    );
    await ledger.post('/v1/touchpoints', aPurchase(customerId));
    await ledger.post('/v1/touchpoints', aPurchase(customerId));
    await ledger.post(
      '/v1/touchpoints',
      aTouchpoint(customerId, 'survey', { kind: 'nps', score: 8, comment: secrets.comment }),
    );
    await ledger.projected();
    expect(
      (await ledger.get(`/v1/customers?email=${encodeURIComponent(secrets.email)}`)).body.customers,
    ).toEqual([{ customerId }]);
    const keys = new Database(join(ledger.config.dataDir, 'keys.db'), { readonly: true });
    const { wrapped_key: wrappedKey } = keys
      .prepare('SELECT wrapped_key FROM subject_keys WHERE subject_id = ?')
      .get(customerId) as { wrapped_key: Buffer };
    keys.close();

    const erasure = await ledger.request(
      'DELETE',
      `/v1/customers/${customerId}?requestId=DSR-42&reason=customer%20request`,
    );
    await ledger.projected();

    expect(erasure.status).toBe(200);
    expect(erasure.body).toMatchObject({ customerId, requestId: 'DSR-42', alreadyErased: false });
    expect(erasure.body.stores.map((entry: { store: string }) => entry.store)).toEqual([
      'event store',
      'subject key store',
      'e-mail blind index',
      'read models',
    ]);
    const profile = await ledger.get(`/v1/customers/${customerId}`);
    expect(profile.body).toMatchObject({
      erased: true,
      name: '[erased]',
      email: '[erased]',
      purchaseCount: 2,
    });
    expect(profile.body.netSpend.amount).toBeCloseTo(241.02, 2);
    const events = (await ledger.get(`/v1/customers/${customerId}/events`)).body.events;
    expect(events[0].data).toMatchObject({ name: '[erased]', email: '[erased]' });
    expect(events[3].data.comment).toBe('[erased]');
    expect(events[4].type).toBe('CustomerErased');
    const timeline = (await ledger.get(`/v1/customers/${customerId}/timeline?types=SurveyAnswered`)).body
      .entries;
    expect(timeline[0].details.comment).toBe('[erased]');
    expect((await ledger.get(`/v1/audit/verify?customerId=${customerId}`)).body).toMatchObject({ ok: true });
    expect(
      (await ledger.get(`/v1/customers?email=${encodeURIComponent(secrets.email)}`)).body.customers,
    ).toEqual([]);
    for (const content of filesOf()) {
      for (const secret of [...Object.values(secrets).map((text) => Buffer.from(text)), wrappedKey]) {
        expect(content.includes(secret)).toBe(false);
      }
    }

    const again = await ledger.request('DELETE', `/v1/customers/${customerId}`);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ ...erasure.body, alreadyErased: true });
    expect((await ledger.post('/v1/touchpoints', aPurchase(customerId))).status).toBe(410);
    expect((await ledger.post('/v1/customers', aRegistration({ customerId }))).status).toBe(410);
    expect((await ledger.request('DELETE', '/v1/customers/never-known')).status).toBe(404);
  });

  it('answers a repeated erasure with the original report: request id, time, position and stores', async () => {
    const customerId = `c-${randomUUID().slice(0, 8)}`;
    await ledger.post('/v1/customers', aRegistration({ customerId, email: `${customerId}@repeat.example` }));
    await ledger.post('/v1/touchpoints', aPurchase(customerId));

    const first = await ledger.request('DELETE', `/v1/customers/${customerId}?requestId=DSR-100`);
    const erasedEvent = (await ledger.get(`/v1/customers/${customerId}/events`)).body.events[2];
    const second = await ledger.request('DELETE', `/v1/customers/${customerId}?requestId=DSR-101`);

    expect(first.status).toBe(200);
    expect(erasedEvent.type).toBe('CustomerErased');
    expect(first.body).toEqual({
      customerId,
      requestId: 'DSR-100',
      alreadyErased: false,
      erasedAt: erasedEvent.metadata.recordedAt,
      position: erasedEvent.position,
      stores: [
        expect.objectContaining({
          store: 'event store',
          action: expect.stringContaining(`position ${erasedEvent.position}`),
        }),
        expect.objectContaining({ store: 'subject key store', action: expect.stringContaining('destroyed') }),
        { store: 'e-mail blind index', action: '1 entries removed' },
        expect.objectContaining({ store: 'read models' }),
      ],
    });
    expect(second.status).toBe(200);
    expect(second.body).toEqual({ ...first.body, alreadyErased: true });
  });

  it('answers a repeated erasure with the original report after a restart on the same data', async () => {
    const customerId = `c-${randomUUID().slice(0, 8)}`;
    let service = await LedgerTestApp.start();
    try {
      await service.post('/v1/customers', aRegistration({ customerId }));
      const first = await service.request('DELETE', `/v1/customers/${customerId}?requestId=DSR-200`);
      expect(first.body).toMatchObject({ requestId: 'DSR-200', alreadyErased: false });

      service = await service.restart();
      const afterRestart = await service.request('DELETE', `/v1/customers/${customerId}`);

      expect(afterRestart.status).toBe(200);
      expect(afterRestart.body).toEqual({ ...first.body, alreadyErased: true });
    } finally {
      await service.stop();
    }
  });

  it('rebuilds the report of an interrupted erasure from its event and finishes what was left, once', async () => {
    const customerId = `c-${randomUUID().slice(0, 8)}`;
    let service = await LedgerTestApp.start();
    try {
      await service.post('/v1/customers', aRegistration({ customerId, email: `${customerId}@cut.example` }));
      // CustomerErased recorded, then the process stops: data key and blind-index entry are still there.
      const interruptedAt = new Date('2025-03-04T05:06:07.000Z');
      const [recorded] = await service.app.get(CustomerLedger).execute(
        [
          {
            customerId,
            command: {
              kind: 'EraseCustomer',
              occurredAt: interruptedAt,
              requestId: 'DSR-300',
              reason: 'test',
            },
          },
        ],
        { actor: 'admin', causationId: 'cut', correlationId: 'cut', now: interruptedAt },
      );
      service = await service.restart();

      const finishing = await service.request('DELETE', `/v1/customers/${customerId}?requestId=DSR-301`);

      const original = {
        customerId,
        requestId: 'DSR-300',
        alreadyErased: true,
        erasedAt: interruptedAt.toISOString(),
        position: recorded!.position,
        stores: [
          expect.objectContaining({ store: 'event store' }),
          expect.objectContaining({ store: 'read models' }),
        ],
        reconstructed: true,
      };
      expect(finishing.status).toBe(200);
      expect(finishing.body).toEqual({
        ...original,
        finishedNow: [
          {
            store: 'subject key store',
            action: expect.stringMatching(/^data key destroyed\. SQLite keys\.db: .* secure_delete/),
          },
          { store: 'e-mail blind index', action: '1 entries removed' },
        ],
      });
      expect((await service.get(`/v1/customers?email=${customerId}%40cut.example`)).body.customers).toEqual(
        [],
      );
      expect((await service.get(`/v1/customers/${customerId}/events`)).body.events[0].data.email).toBe(
        '[erased]',
      );

      const later = await service.request('DELETE', `/v1/customers/${customerId}`);
      expect(later.body).toEqual({
        ...original,
        finishedLater: finishing.body.finishedNow.map((entry: object) => ({
          ...entry,
          finishedAt: expect.any(String),
        })),
      });
      expect(Date.parse(later.body.finishedLater[0].finishedAt)).toBeGreaterThan(interruptedAt.getTime());
      service = await service.restart();
      expect((await service.request('DELETE', `/v1/customers/${customerId}`)).body).toEqual(later.body);
    } finally {
      await service.stop();
    }
  });

  it('exports everything held about a customer, with the access log', async () => {
    const customerId = `c-${randomUUID().slice(0, 8)}`;
    await ledger.post('/v1/customers', aRegistration({ customerId }));
    await ledger.post(
      '/v1/touchpoints',
      aTouchpoint(customerId, 'complaint', { complaintId: 'K-1', severity: 'low', description: 'Late' }),
    );
    await ledger.projected();
    await ledger.get(`/v1/customers/${customerId}`);

    const exported = await ledger.get(`/v1/customers/${customerId}/export`);

    expect(exported.status).toBe(200);
    expect(exported.body.format).toBe('customer-interaction-ledger/subject-export/v1');
    expect(exported.body.events.map((event: { type: string }) => event.type)).toEqual([
      'CustomerRegistered',
      'ComplaintFiled',
    ]);
    expect(exported.body.events[1].data.description).toBe('Late');
    expect(exported.body.readModels.summary).toMatchObject({
      name: 'Ada Lovelace',
      openComplaints: [{ complaintId: 'K-1' }],
    });
    expect(exported.body.accessLog).toEqual([
      expect.objectContaining({ resource: 'profile', actor: 'anonymous' }),
    ]);
    expect((await ledger.get(`/v1/customers/${customerId}/export`)).body.accessLog).toHaveLength(2);
  });

  it('keeps an audit trail with field-level contact changes, legal bases and the access log', async () => {
    const customerId = `c-${randomUUID().slice(0, 8)}`;
    await ledger.post('/v1/customers', aRegistration({ customerId, email: 'old@example.org' }));
    await ledger.request('PATCH', `/v1/customers/${customerId}/contact-details`, {
      email: 'new@example.org',
      reason: 'moved',
      channel: 'phone',
    });
    await ledger.post(`/v1/customers/${customerId}/consents`, {
      purpose: 'marketing',
      granted: true,
      legalBasis: 'consent',
    });
    await ledger.get(`/v1/customers/${customerId}/events`);

    const trail = await ledger.get(`/v1/audit/customers/${customerId}`);

    expect(trail.body.events.map((event: { type: string }) => event.type)).toEqual([
      'CustomerRegistered',
      'ContactDetailsChanged',
      'ConsentGranted',
    ]);
    expect(trail.body.events[1]).toMatchObject({
      actor: 'anonymous',
      channel: 'phone',
      reason: 'moved',
      changes: [{ field: 'email', before: 'old@example.org', after: 'new@example.org' }],
    });
    expect(trail.body.events[2].legalBasis).toBe('consent');
    expect(trail.body.accessLog.map((entry: { resource: string }) => entry.resource)).toEqual(['events']);
    expect((await ledger.get('/v1/customers?email=NEW@example.org')).body.customers).toEqual([
      { customerId },
    ]);
    expect((await ledger.get('/v1/customers?email=old@example.org')).body.customers).toEqual([]);
    expect((await ledger.get('/v1/customers?email=not-an-email')).status).toBe(400);
  });

  it('reports a tampered event as the first break of the chain', async () => {
    const customerId = `tamper-${randomUUID().slice(0, 8)}`;
    await ledger.post('/v1/touchpoints/batch', {
      touchpoints: [1, 2, 3].map((n) => aTouchpoint(customerId, 'browse', { productId: `p-${n}` })),
    });
    expect((await ledger.get('/v1/audit/verify')).body.ok).toBe(true);

    const raw = new Database(join(ledger.config.dataDir, 'events.db'));
    raw
      .prepare(
        `UPDATE events SET data = '{"productId":"p-forged"}' WHERE stream_key = (SELECT stream_key FROM streams WHERE stream_id = ?) AND stream_revision = 1`,
      )
      .run(`customer-${customerId}`);
    raw.close();

    const whole = await ledger.get('/v1/audit/verify');
    const one = await ledger.get(`/v1/audit/verify?customerId=${customerId}`);
    expect(whole.body).toMatchObject({
      ok: false,
      firstBreak: { streamId: `customer-${customerId}`, streamRevision: 1 },
    });
    expect(one.body.firstBreak).toMatchObject({
      streamRevision: 1,
      reason: 'hash does not match the event content',
    });
  });
});
