// The test app first: it loads Nest (and reflect-metadata) before the DTOs are decorated.
import { LedgerTestApp } from '../support/ledger-app';
import fc from 'fast-check';
import { aPurchase, aRegistration, aTouchpoint } from '../fixtures/touchpoints';

/**
 * Property: whatever a write route acknowledges is readable. Bodies are valid ones with one field replaced
 * (by a value of the wrong kind, null, an id that cannot name a stream, a number JSON cannot hold exactly,
 * lone surrogates...) or added; every answer is below 500, and once the read models caught up, no event is
 * parked and every customer an answer named has a profile and a timeline. Fixed seed, bounded bodies.
 */
const SEED = 22;
const BODIES = 300;

/** JSON number tokens no JS value serializes to: put in as text. */
const RAW_NUMBERS = [
  '1e-400',
  '1e300',
  '9007199254740993',
  '123456789012345678901234567890',
  '1e15',
  '-0',
  '0.1',
];
const NASTY_VALUES: unknown[] = [
  null,
  '',
  ' ',
  'has space',
  '../../etc',
  'p\u0000',
  '\ud800',
  'a\udc00b',
  'jane.roe@example.com',
  '+44 20 7946 0958',
  'anonymous:x',
  '2026-02-30T00:00:00Z',
  '0001-01-01T00:00:00Z',
  -1,
  0,
  1.5,
  true,
  [],
  {},
  [null],
  { amount: 1, currency: 'EUR' },
  'x'.repeat(300),
  ...RAW_NUMBERS.map((token) => `@raw:${token}`),
];

interface Route {
  readonly method: 'POST' | 'PATCH';
  readonly url: (id: string) => string;
  readonly body: (id: string) => Record<string, unknown>;
}

const ROUTES: Route[] = [
  { method: 'POST', url: () => '/v1/customers', body: (id) => aRegistration({ customerId: id }) },
  {
    method: 'PATCH',
    url: (id) => `/v1/customers/${id}/contact-details`,
    body: () => ({ email: 'new@example.org', phone: '+44 1234 5678', reason: 'moved' }),
  },
  {
    method: 'POST',
    url: (id) => `/v1/customers/${id}/consents`,
    body: () => ({ purpose: 'marketing', granted: true }),
  },
  { method: 'POST', url: () => '/v1/touchpoints', body: (id) => aPurchase(id) },
  {
    method: 'POST',
    url: () => '/v1/touchpoints',
    body: (id) => aTouchpoint(id, 'contact', { direction: 'inbound', note: 'called', durationSeconds: 60 }),
  },
  {
    method: 'POST',
    url: () => '/v1/touchpoints',
    body: (id) =>
      aTouchpoint(id, 'browse', {
        url: 'https://s.example/p',
        productId: 'p-1',
        price: { amount: 9.5, currency: 'EUR' },
      }),
  },
  {
    method: 'POST',
    url: () => '/v1/touchpoints/batch',
    body: (id) => ({ touchpoints: [aTouchpoint(id, 'survey', { kind: 'nps', score: 9, comment: 'good' })] }),
  },
  { method: 'POST', url: () => '/v1/customers/fz-base/merge', body: (id) => ({ duplicateId: id }) },
  {
    method: 'POST',
    url: () => '/tracking/v1/identify',
    body: (id) => ({ userId: id, anonymousId: `v-${id}`, traits: { name: 'N N', email: 'n@example.org' } }),
  },
  {
    method: 'POST',
    url: () => '/tracking/v1/track',
    body: (id) => ({
      userId: id,
      event: 'Order Completed',
      timestamp: '2026-11-20T10:00:00Z',
      properties: {
        order_id: 'o-1',
        total: 12.5,
        currency: 'EUR',
        products: [{ sku: 's', price: 12.5, quantity: 1 }],
      },
    }),
  },
  {
    method: 'POST',
    url: () => '/tracking/v1/page',
    body: (id) => ({ anonymousId: id, properties: { url: 'https://s.example/' } }),
  },
  { method: 'POST', url: () => '/tracking/v1/alias', body: (id) => ({ userId: 'fz-base', previousId: id }) },
  {
    method: 'POST',
    url: () => '/tracking/v1/batch',
    body: (id) => ({ batch: [{ type: 'track', userId: id, event: 'Wishlist Added', properties: { a: 1 } }] }),
  },
];

/** Every path of a JSON value that holds a value (`data.items.0.quantity`), the root excluded. */
function pathsOf(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => [
    [...prefix, key],
    ...pathsOf(child, [...prefix, key]),
  ]);
}

function withValueAt(body: unknown, path: readonly string[], value: unknown): unknown {
  const copy = structuredClone(body) as Record<string, unknown>;
  let holder = copy;
  for (const key of path.slice(0, -1)) holder = holder[key] as Record<string, unknown>;
  holder[path[path.length - 1]!] = value;
  return copy;
}

/** The body's text, with raw number tokens in place of their markers. */
const textOf = (body: unknown) => JSON.stringify(body).replace(/"@raw:([^"]+)"/g, '$1');

describe('whatever a write route acknowledges is readable (property, fast-check)', () => {
  let ledger: LedgerTestApp;

  beforeAll(async () => {
    ledger = await LedgerTestApp.start();
    expect((await ledger.post('/v1/customers', aRegistration({ customerId: 'fz-base' }))).status).toBe(201);
  });
  afterAll(() => ledger.stop());

  it(`holds for ${BODIES} generated bodies over every write route`, async () => {
    const acknowledged = new Set<string>(['fz-base']);
    let accepted = 0;
    const mutation = fc.oneof(
      { weight: 1, arbitrary: fc.constant(undefined) },
      { weight: 4, arbitrary: fc.record({ pick: fc.nat(), value: fc.constantFrom(...NASTY_VALUES) }) },
      { weight: 2, arbitrary: fc.record({ pick: fc.nat(), value: fc.jsonValue({ maxDepth: 2 }) }) },
    );
    await fc.assert(
      fc.asyncProperty(fc.nat(ROUTES.length - 1), fc.nat(10_000), mutation, async (routeIndex, n, change) => {
        const route = ROUTES[routeIndex]!;
        const id = `fz-${n}`;
        const valid = route.body(id);
        const paths = pathsOf(valid);
        const body = change ? withValueAt(valid, paths[change.pick % paths.length]!, change.value) : valid;
        const url = route.url(id);
        const response = await ledger.request(route.method, url, textOf(body));
        expect(response.status).toBeLessThan(500);
        if (response.status < 300) {
          accepted++;
          for (const named of customerIdsIn(response.body)) acknowledged.add(named);
          const pathId = /^\/v1\/customers\/([^/]+)\//.exec(url)?.[1];
          if (pathId) acknowledged.add(pathId);
        } else {
          expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        }
      }),
      { seed: SEED, numRuns: BODIES, endOnFailure: true },
    );
    expect(accepted).toBeGreaterThan(BODIES / 10);

    await ledger.projected();
    expect((await ledger.get('/v1/projections')).body.parked).toBe(0);
    for (const customerId of acknowledged) {
      const profile = await ledger.get(`/v1/customers/${encodeURIComponent(customerId)}`);
      // A merged-away record answers with its survivor (308); every other one answers itself.
      expect([200, 308]).toContain(profile.status);
      const timeline = await ledger.get(`/v1/customers/${encodeURIComponent(customerId)}/timeline`);
      expect([200, 308]).toContain(timeline.status);
    }
  });
});

/** Every customer an answer names as where it recorded something (customerId, survivorId, duplicateId). */
function customerIdsIn(answer: unknown): string[] {
  if (typeof answer !== 'object' || answer === null) return [];
  return Object.entries(answer).flatMap(([key, value]) =>
    ['customerId', 'survivorId', 'duplicateId'].includes(key) && typeof value === 'string'
      ? [value]
      : customerIdsIn(value),
  );
}
