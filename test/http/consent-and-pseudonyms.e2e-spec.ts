import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import {
  analystAudience,
  customerEvents,
  ExportAudience,
  exportEvents,
  personalDataAudience,
} from '../../src/interfaces/cli/replay';
import { EVENT_STORE, EventStore } from '../../src/ports/event-store.port';
import { AccessLog } from '../../src/privacy/access-log';
import { PiiCipher } from '../../src/privacy/pii-cipher';
import { Pseudonyms } from '../../src/privacy/pseudonyms';
import { ReadModels } from '../../src/application/read-models/read-models';
import { aPurchase, aRegistration, aTouchpoint } from '../fixtures/touchpoints';
import { LedgerTestApp } from '../support/ledger-app';

/** Consent is enforced by purpose and instant; analysts see pseudonyms; every door into personal data is logged. */
describe('consent, pseudonyms and the access log', () => {
  let ledger: LedgerTestApp;
  const id = () => `c-${randomUUID().slice(0, 8)}`;
  const consent = (customerId: string, purpose: string, granted: boolean, occurredAt: string) =>
    ledger.post(`/v1/customers/${customerId}/consents`, { purpose, granted, occurredAt });
  const buyer = async (customerId: string) => {
    await ledger.post('/v1/customers', aRegistration({ customerId }));
    const recent = new Date(Date.now() - 10 * 86_400_000).toISOString();
    await ledger.post('/v1/touchpoints', aPurchase(customerId, { occurredAt: recent }));
  };

  beforeAll(async () => {
    ledger = await LedgerTestApp.start();
  });
  afterAll(async () => {
    await ledger.stop();
  });

  it('computes no loyalty score while profiling is withdrawn, honouring withdrawal and re-grant as of each instant', async () => {
    const customerId = id();
    await buyer(customerId);
    await consent(customerId, 'profiling', false, '2026-01-01T00:00:00Z');
    await consent(customerId, 'profiling', true, '2026-06-01T00:00:00Z');
    const other = id();
    await buyer(other);
    await consent(other, 'profiling', false, '2026-02-01T00:00:00Z');
    await ledger.projected();

    const before = await ledger.get(`/v1/customers/${customerId}/loyalty?asOf=2025-12-01T00:00:00Z`);
    const during = await ledger.get(`/v1/customers/${customerId}/loyalty?asOf=2026-03-01T00:00:00Z`);
    const now = await ledger.get(`/v1/customers/${customerId}/loyalty`);
    const withdrawnProfile = await ledger.get(`/v1/customers/${other}`);

    expect(before.body).toMatchObject({ score: expect.any(Number), tier: expect.any(String) });
    expect(during.body).toMatchObject({
      score: null,
      tier: null,
      withheld: { purpose: 'profiling', since: '2026-01-01T00:00:00.000Z' },
    });
    expect(now.body.score).toBeGreaterThan(0);
    expect(withdrawnProfile.body.loyalty).toEqual({
      score: null,
      tier: null,
      asOf: expect.any(String),
      withheld: {
        purpose: 'profiling',
        since: '2026-02-01T00:00:00.000Z',
        reason: expect.stringContaining('withdrew consent to profiling'),
      },
    });
    expect(withdrawnProfile.body.purchaseCount).toBe(1);
  });

  it('leaves customers without analytics consent out of analytics figures, and says how many', async () => {
    const before = await ledger.get('/v1/analytics/funnel');
    const distributionBefore = await ledger.get('/v1/analytics/loyalty?top=1000');
    const leaving = id();
    await buyer(leaving);
    await consent(leaving, 'analytics', false, new Date().toISOString());
    const staying = id();
    await buyer(staying);
    await ledger.projected();

    const after = await ledger.get('/v1/analytics/funnel');
    const distributionAfter = await ledger.get('/v1/analytics/loyalty?top=1000');
    const pseudonyms = new Pseudonyms(ledger.config.masterKey);

    expect(after.body.cohort.customers).toBe(before.body.cohort.customers + 1);
    expect(after.body.leftOutWithoutConsent.analytics).toBe(before.body.leftOutWithoutConsent.analytics + 1);
    expect(distributionAfter.body.customers).toBe(distributionBefore.body.customers + 1);
    const inTop = distributionAfter.body.top.map((entry: { pseudonym: string }) => entry.pseudonym);
    expect(inTop).toContain(pseudonyms.of(staying));
    expect(inTop).not.toContain(pseudonyms.of(leaving));
    expect(JSON.stringify(distributionAfter.body)).not.toContain(staying);
  });

  it('lets an auditor resolve a pseudonym, and logs the resolution', async () => {
    const customerId = id();
    await buyer(customerId);
    await ledger.projected();
    const pseudonym = new Pseudonyms(ledger.config.masterKey).of(customerId);

    const resolved = await ledger.get(`/v1/pseudonyms/${pseudonym}`);
    const unknown = await ledger.get(`/v1/pseudonyms/${new Pseudonyms(Buffer.alloc(32, 7)).of(customerId)}`);
    const malformed = await ledger.get('/v1/pseudonyms/not-a-pseudonym');
    const audit = await ledger.get(`/v1/audit/customers/${customerId}`);

    expect(resolved.body).toEqual({ pseudonym, customerId });
    expect(unknown.status).toBe(404);
    expect(unknown.body.errors).toEqual([{ field: 'pseudonym', message: expect.any(String) }]);
    expect(malformed.status).toBe(400);
    expect(audit.body.accessLog.map((entry: { resource: string }) => entry.resource)).toContain(
      'pseudonym-resolution',
    );
  });

  it('enters an e-mail lookup in the access log of each customer it finds', async () => {
    const customerId = id();
    const email = `${customerId}@example.org`;
    await ledger.post('/v1/customers', aRegistration({ customerId, email }));
    await ledger.post('/v1/touchpoints', aTouchpoint(customerId, 'browse', { url: 'https://shop.example/' }));

    const found = await ledger.get(`/v1/customers?email=${encodeURIComponent(email.toUpperCase())}`);
    const missed = await ledger.get(`/v1/customers?email=${encodeURIComponent(`x${email}`)}`);
    const audit = await ledger.get(`/v1/audit/customers/${customerId}`);

    expect(found.body.customers).toEqual([{ customerId }]);
    expect(missed.body.customers).toEqual([]);
    const lookups = audit.body.accessLog.filter(
      (entry: { resource: string }) => entry.resource === 'email-lookup',
    );
    expect(lookups).toEqual([expect.objectContaining({ actor: 'anonymous', resource: 'email-lookup' })]);
  });

  it('exports for analysts with pseudonyms and consent, and for auditors with ids and an access-log entry', async () => {
    const consenting = id();
    const withdrawn = id();
    await buyer(consenting);
    await buyer(withdrawn);
    await consent(withdrawn, 'analytics', false, new Date().toISOString());
    await ledger.projected();
    const exportFor = async (audience: ExportAudience) => {
      const out = new PassThrough();
      let text = '';
      out.on('data', (chunk: Buffer) => (text += chunk.toString()));
      const store = ledger.app.get<EventStore>(EVENT_STORE);
      await exportEvents(customerEvents(store, { customers: [consenting, withdrawn] }), {
        format: 'ndjson',
        out,
        audience,
      });
      return text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    };
    const pseudonyms = ledger.app.get(Pseudonyms);

    const forAnalysts = await exportFor(
      analystAudience(pseudonyms, ledger.app.get(ReadModels), new Date().toISOString()),
    );
    const forAuditors = await exportFor(
      personalDataAudience(ledger.app.get(PiiCipher), ledger.app.get(AccessLog), 'auditor-1', 'req-1'),
    );

    expect(new Set(forAnalysts.map((row) => row.pseudonym))).toEqual(new Set([pseudonyms.of(consenting)]));
    expect(forAnalysts.every((row) => row.customerId === undefined && row.data !== undefined)).toBe(true);
    expect(JSON.stringify(forAnalysts)).not.toMatch(/Ada|example\.org/);
    expect(new Set(forAuditors.map((row) => row.customerId))).toEqual(new Set([consenting, withdrawn]));
    expect(forAuditors.find((row) => row.type === 'CustomerRegistered')?.data).toMatchObject({
      name: 'Ada Lovelace',
    });
    const audit = await ledger.get(`/v1/audit/customers/${withdrawn}`);
    expect(audit.body.accessLog).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ actor: 'auditor-1', resource: 'event-export', causationId: 'req-1' }),
      ]),
    );
  });
});
