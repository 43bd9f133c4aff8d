import { createHash, randomBytes } from 'node:crypto';
import { ROLES, Role } from '../../src/config/api-keys';
import { Pseudonyms } from '../../src/privacy/pseudonyms';
import { LedgerTestApp } from '../support/ledger-app';
import { aPurchase, aRegistration } from '../fixtures/touchpoints';

const keyOf = (role: Role) => `test-key-for-the-${role}-role-0123456789`;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const MASTER_KEY = randomBytes(32);
const PSEUDONYM_OF_M1 = new Pseudonyms(MASTER_KEY).of('m-1');

/** Every endpoint with the roles DESIGN.md allows, walked with every role, no key, an unknown and a malformed key. */
const ENDPOINTS: {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  body?: unknown;
  roles: Role[];
}[] = [
  {
    method: 'POST',
    url: '/v1/customers',
    body: aRegistration({ customerId: 'm-1' }),
    roles: ['ingest', 'rep'],
  },
  {
    method: 'PATCH',
    url: '/v1/customers/m-1/contact-details',
    body: { phone: '+44 1234 5678', reason: 'r' },
    roles: ['rep'],
  },
  {
    method: 'POST',
    url: '/v1/customers/m-1/consents',
    body: { purpose: 'marketing', granted: true },
    roles: ['ingest', 'rep'],
  },
  { method: 'POST', url: '/v1/touchpoints', body: aPurchase('m-1'), roles: ['ingest', 'rep'] },
  {
    method: 'POST',
    url: '/v1/touchpoints/batch',
    body: { touchpoints: [aPurchase('m-1')] },
    roles: ['ingest'],
  },
  { method: 'GET', url: '/v1/customers/m-1', roles: ['rep', 'auditor'] },
  { method: 'GET', url: '/v1/customers?email=ada.lovelace@example.org', roles: ['rep', 'auditor'] },
  { method: 'GET', url: '/v1/customers/m-1/timeline', roles: ['rep', 'auditor'] },
  { method: 'GET', url: '/v1/customers/m-1/loyalty', roles: ['rep'] },
  { method: 'GET', url: `/v1/analytics/customers/${PSEUDONYM_OF_M1}/loyalty`, roles: ['analyst'] },
  { method: 'GET', url: `/v1/pseudonyms/${PSEUDONYM_OF_M1}`, roles: ['auditor', 'admin'] },
  { method: 'GET', url: '/v1/customers/m-1/events', roles: ['auditor', 'admin'] },
  { method: 'GET', url: '/v1/analytics/funnel', roles: ['analyst'] },
  { method: 'GET', url: '/v1/analytics/loyalty', roles: ['analyst'] },
  { method: 'GET', url: '/v1/analytics/rfm', roles: ['analyst'] },
  { method: 'GET', url: '/v1/analytics/segments/champions/members', roles: ['analyst'] },
  {
    method: 'GET',
    url: '/v1/analytics/segments/transitions?from=2026-01-01T00:00:00Z&to=2026-06-01T00:00:00Z',
    roles: ['analyst'],
  },
  { method: 'GET', url: '/v1/analytics/cohorts', roles: ['analyst'] },
  { method: 'GET', url: '/v1/analytics/complaints', roles: ['analyst'] },
  { method: 'GET', url: '/v1/analytics/satisfaction', roles: ['analyst'] },
  { method: 'GET', url: '/v1/analytics/predictions/rules?country=GB', roles: ['analyst'] },
  {
    method: 'GET',
    url: '/v1/analytics/predictions/backtest?calibrationEnd=2026-01-01T00:00:00Z&holdoutEnd=2026-06-01T00:00:00Z',
    roles: ['analyst'],
  },
  { method: 'GET', url: '/v1/analytics/predictions/customers?maxPAlive=0.5', roles: ['analyst'] },
  { method: 'GET', url: '/v1/projections', roles: ['admin'] },
  { method: 'POST', url: '/v1/projections/timeline/rebuild', body: {}, roles: ['admin'] },
  { method: 'GET', url: '/v1/customers/m-1/export', roles: ['auditor', 'admin'] },
  { method: 'GET', url: '/v1/audit/customers/m-1', roles: ['auditor'] },
  { method: 'GET', url: '/v1/audit/verify?customerId=m-1', roles: ['auditor', 'admin'] },
  { method: 'GET', url: '/v1/subscriptions', roles: ['admin'] },
  { method: 'GET', url: '/v1/subscriptions/no-such-subscription/parked', roles: ['admin'] },
  { method: 'DELETE', url: '/v1/customers/m-2', roles: ['admin'] },
  { method: 'POST', url: '/v1/customers/m-1/merge', body: { duplicateId: 'm-3' }, roles: ['rep', 'admin'] },
  ...['identify', 'track', 'page', 'screen', 'group', 'alias', 'i', 't', 'p', 's', 'g', 'a'].map((call) => ({
    method: 'POST' as const,
    url: `/tracking/v1/${call}`,
    body: { userId: 'm-1', event: 'Product Viewed', properties: { product_id: 'p-1' } },
    roles: ['ingest' as const],
  })),
  { method: 'POST', url: '/tracking/v1/batch', body: { batch: [] }, roles: ['ingest'] },
  { method: 'POST', url: '/tracking/v1/b', body: { batch: [] }, roles: ['ingest'] },
];

describe('roles by API key', () => {
  let ledger: LedgerTestApp;

  beforeAll(async () => {
    ledger = await LedgerTestApp.start({
      masterKey: MASTER_KEY,
      apiKeys: ROLES.map((role) => ({
        principal: `${role}-person`,
        roles: [role],
        keySha256: sha256(keyOf(role)),
      })),
      // The walk fails authentication three times on every endpoint, all from one address: the per-address
      // limit (test/http/http-hygiene.e2e-spec.ts) is raised for it.
      authFailuresPerMinute: 10_000,
    });
    const admin = { authorization: `Bearer ${keyOf('admin')}` };
    const ingest = { authorization: `Bearer ${keyOf('ingest')}` };
    await ledger.post('/v1/customers', aRegistration({ customerId: 'm-1' }), ingest);
    await ledger.post('/v1/customers', aRegistration({ customerId: 'm-2' }), ingest);
    await ledger.projected();
    expect((await ledger.request('GET', '/v1/projections', undefined, admin)).status).toBe(200);
  });
  afterAll(async () => {
    await ledger.stop();
  });

  const cases = ENDPOINTS.flatMap((endpoint) =>
    ROLES.map((role) => [`${endpoint.method} ${endpoint.url.split('?')[0]}`, role, endpoint] as const),
  );

  it.each(cases)('%s as %s', async (_, role, endpoint) => {
    const response = await ledger.request(endpoint.method, endpoint.url, endpoint.body, {
      authorization: `Bearer ${keyOf(role)}`,
    });
    if (endpoint.roles.includes(role)) {
      expect([401, 403]).not.toContain(response.status);
      expect(response.status).toBeLessThan(500);
    } else {
      expect(response.status).toBe(403);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });

  it.each(
    ENDPOINTS.map((endpoint) => [`${endpoint.method} ${endpoint.url.split('?')[0]}`, endpoint] as const),
  )('%s without a key, with an unknown key and with a malformed header', async (_, endpoint) => {
    for (const headers of <Record<string, string>[]>[
      {},
      { authorization: 'Bearer an-unknown-key-of-enough-length' },
      { authorization: 'Basic abc' },
    ]) {
      const response = await ledger.request(endpoint.method, endpoint.url, endpoint.body, headers);
      expect(response.status).toBe(401);
    }
  });

  it('records the key principal as the actor and keeps health and docs public', async () => {
    const events = await ledger.request('GET', '/v1/customers/m-1/events', undefined, {
      authorization: `Bearer ${keyOf('auditor')}`,
    });
    expect(events.body.events[0].metadata.actor).toBe('ingest-person');
    expect((await ledger.get('/health')).status).toBe(200);
    expect((await ledger.get('/docs-json')).status).toBe(200);
  });

  it('lets analysts see only pseudonymous analytics', async () => {
    const analyst = { authorization: `Bearer ${keyOf('analyst')}` };
    const loyalty = await ledger.request('GET', '/v1/analytics/loyalty', undefined, analyst);
    expect(JSON.stringify(loyalty.body)).not.toMatch(/Ada|Lovelace|example\.org/);
    const top = loyalty.body.top as Record<string, unknown>[];
    expect(top.map((entry) => Object.keys(entry).sort())).toEqual(
      top.map(() => ['pseudonym', 'score', 'tier']),
    );
    expect(top.map((entry) => new Pseudonyms(MASTER_KEY).resolve(entry.pseudonym as string)).sort()).toEqual([
      'm-1',
      'm-2',
    ]);
    expect((await ledger.request('GET', '/v1/customers/m-1', undefined, analyst)).status).toBe(403);
    expect((await ledger.request('GET', '/v1/customers/m-1/loyalty', undefined, analyst)).status).toBe(403);
    const byPseudonym = await ledger.request(
      'GET',
      `/v1/analytics/customers/${PSEUDONYM_OF_M1}/loyalty`,
      undefined,
      analyst,
    );
    expect(byPseudonym.status).toBe(200);
    expect(byPseudonym.body.pseudonym).toBe(PSEUDONYM_OF_M1);
    expect(JSON.stringify(byPseudonym.body)).not.toContain('"m-1"');
  });
});
