// The test app first: it loads Nest (and reflect-metadata) before the DTOs are decorated.
import { ApiResponse, LedgerTestApp } from '../support/ledger-app';
import { createHash } from 'node:crypto';
import { Role } from '../../src/config/api-keys';
import { EVENT_STORE, EventStore } from '../../src/ports/event-store.port';
import { Pseudonyms } from '../../src/privacy/pseudonyms';
import { aPurchase, aRegistration, aTouchpoint } from '../fixtures/touchpoints';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
const keyOf = (name: string) => `bad-actors-spec-key-of-the-${name}`;
const KEYS: Record<string, Role[]> = {
  'public-write-key': ['ingest'],
  'server-side-key': ['ingest', 'rep'],
  rep: ['rep'],
  admin: ['admin'],
  auditor: ['auditor', 'rep'],
};
const API_KEYS = Object.entries(KEYS).map(([name, roles]) => ({
  principal: name,
  roles,
  keySha256: sha256(keyOf(name)),
}));
const bearer = (name: string) => ({ authorization: `Bearer ${keyOf(name)}` });

let sequence = 0;
const anId = (prefix = 'ba') => `${prefix}-${process.pid}-${++sequence}`;

/** Misuse of the API, as the bad-actors review probed it (issue 22): each answer 4xx, nothing stored. */
describe('bad actors and bad input', () => {
  let ledger: LedgerTestApp;
  let store: EventStore;

  beforeAll(async () => {
    ledger = await LedgerTestApp.start({ apiKeys: API_KEYS });
    store = ledger.app.get<EventStore>(EVENT_STORE);
  });
  afterAll(() => ledger.stop());

  const as = (key: string) => ({
    post: (url: string, body: unknown) => ledger.post(url, body, bearer(key)),
    patch: (url: string, body: unknown) => ledger.request('PATCH', url, body, bearer(key)),
    get: (url: string) => ledger.request('GET', url, undefined, bearer(key)),
    delete: (url: string) => ledger.request('DELETE', url, undefined, bearer(key)),
    track: (call: string, body: unknown) =>
      ledger.post(`/tracking/v1/${call}`, body, { authorization: basic(keyOf(key)) }),
  });
  const registered = async (overrides: Record<string, unknown> = {}) => {
    const customerId = anId('reg');
    const response = await as('rep').post('/v1/customers', aRegistration({ customerId, ...overrides }));
    expect(response.status).toBe(201);
    return customerId;
  };
  /** A request that must be refused with problem+json and leave the event store as it was. */
  const refused = async (request: () => Promise<ApiResponse>, status = 400) => {
    const before = await store.lastPosition();
    const response = await request();
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await store.lastPosition()).toBe(before);
    return response;
  };
  const fieldsOf = (response: ApiResponse) =>
    (response.body.errors as { field: string }[]).map((error) => error.field);

  describe('a public write key changes no registered customer', () => {
    it("keeps an identify's traits for a registered customer out of the record, saying why, and records the rest", async () => {
      const victim = await registered({ email: 'victim@example.org' });
      const response = await as('public-write-key').track('batch', {
        batch: [
          { type: 'identify', userId: victim, traits: { email: 'mallory+inbox@attacker.example' } },
          { type: 'page', userId: victim, properties: { url: 'https://shop.example/' } },
        ],
      });
      expect(response.status).toBe(200);
      expect(response.body.results[0]).toEqual({
        customerId: victim,
        notChanged: expect.stringMatching(/is registered: .* server-side key .*never with a write key/),
      });
      expect(response.body.results[1]).toMatchObject({ customerId: victim, duplicate: false });
      const events = (await as('auditor').get(`/v1/customers/${victim}/events`)).body.events as {
        type: string;
        data: { email?: string };
      }[];
      expect(events.map((event) => event.type)).toEqual(['CustomerRegistered', 'ProductBrowsed']);
      expect(events[0]!.data.email).toBe('victim@example.org');
    });

    it('lets a server-side key (ingest and rep) change them', async () => {
      const customerId = await registered();
      const response = await as('server-side-key').track('identify', {
        userId: customerId,
        traits: { email: 'new.address@example.org' },
      });
      expect(response.body.results[0]).toMatchObject({ customerId, duplicate: false });
      await ledger.projected();
      expect((await as('rep').get(`/v1/customers/${customerId}`)).body.email).toBe('new.address@example.org');
    });

    it('merges no registered customer through alias, and keeps both profiles apart', async () => {
      const victim = await registered();
      const attacker = await registered();
      await as('public-write-key').post('/v1/touchpoints', aPurchase(victim));
      const response = await as('public-write-key').track('alias', { userId: attacker, previousId: victim });
      expect(response.status).toBe(200);
      expect(response.body.results[0].notMerged).toMatch(
        new RegExp(`^${victim} is a registered customer: .*server-side key`),
      );
      expect(response.body.results[0].merged).toBeUndefined();
      await ledger.projected();
      expect((await as('rep').get(`/v1/customers/${victim}`)).status).toBe(200);
      expect((await as('rep').get(`/v1/customers/${attacker}`)).body.purchaseCount).toBe(0);
    });

    it('still merges an anonymous visitor into a customer with a write key', async () => {
      const customerId = await registered();
      const visitor = anId('visitor');
      await as('public-write-key').track('page', {
        anonymousId: visitor,
        properties: { url: 'https://shop.example/' },
      });
      const response = await as('public-write-key').track('alias', {
        userId: customerId,
        previousId: visitor,
      });
      expect(response.body.results[0].merged).toMatchObject({ duplicateId: `anonymous:${visitor}` });
    });

    it('lets a server-side key merge registered customers through alias', async () => {
      const previous = await registered();
      const customerId = await registered();
      const response = await as('server-side-key').track('alias', {
        userId: customerId,
        previousId: previous,
      });
      expect(response.body.results[0].merged).toMatchObject({
        survivorId: customerId,
        duplicateId: previous,
      });
    });
  });

  describe('what the read side would park is refused before the append', () => {
    it.each(['country', 'phone', 'source'])('refuses a registration with "%s": null', async (field) => {
      const response = await refused(() =>
        as('public-write-key').post('/v1/customers', aRegistration({ customerId: anId(), [field]: null })),
      );
      expect(fieldsOf(response)).toEqual([field]);
    });

    it('refuses a contact-details change to a null e-mail', async () => {
      const customerId = await registered();
      const response = await refused(() =>
        as('rep').patch(`/v1/customers/${customerId}/contact-details`, { email: null, reason: 'r' }),
      );
      expect(fieldsOf(response)).toEqual(['email']);
    });

    it('refuses a contact touchpoint with a null note', async () => {
      const customerId = await registered();
      const response = await refused(() =>
        as('rep').post(
          '/v1/touchpoints',
          aTouchpoint(customerId, 'contact', { direction: 'inbound', note: null }),
        ),
      );
      expect(fieldsOf(response)).toEqual(['data.note']);
    });

    it.each(['123456789012345678901234567890', '9007199254740993', '1e300'])(
      'refuses an item quantity of %s, naming the field',
      async (quantity) => {
        const body = JSON.stringify(aPurchase(await registered())).replace(
          '"quantity":3',
          `"quantity":${quantity}`,
        );
        const response = await refused(() => as('rep').post('/v1/touchpoints', body));
        expect(fieldsOf(response)).toEqual(['data.items[0].quantity']);
        expect(response.body.errors[0].message).toMatch(/largest number this service holds exactly/);
      },
    );

    it.each(['has space', '../../etc', 'p\u0000'])(
      'keeps an alias with a previousId of %j as the tracker sent it (docs/tracking.md), names no stream by it',
      async (previousId) => {
        const customerId = await registered();
        const response = await as('public-write-key').track('alias', { userId: customerId, previousId });
        expect(response.status).toBe(200);
        const [result] = response.body.results;
        expect(result.notMapped.map((problem: { field: string }) => problem.field)).toEqual(['previousId']);
        expect(result.merged).toBeUndefined();
        expect((await store.readStream(`customer-anonymous:${previousId}`)).length).toBe(0);
        await ledger.projected();
        expect((await as('rep').get(`/v1/customers/${customerId}`)).status).toBe(200);
      },
    );
  });

  describe('erasure leaves nothing that names the person', () => {
    it.each([
      ['an e-mail', 'jane.roe@example.com', /must not be an e-mail address/],
      ['a phone number', '+44 20 7946 0958', /must not be a phone number/],
      ['a phone number with dashes', '020-7946-0958', /must not be a phone number/],
    ])('refuses %s as customer id on every door', async (_what, id, message) => {
      const doors = [
        () => as('rep').post('/v1/customers', aRegistration({ customerId: id })),
        () => as('rep').post('/v1/touchpoints', aPurchase(id)),
        () =>
          as('public-write-key').track('identify', { userId: id, traits: { name: 'J', email: 'j@x.org' } }),
        () =>
          as('public-write-key').track('page', {
            anonymousId: id,
            properties: { url: 'https://s.example/' },
          }),
      ];
      for (const door of doors) {
        const response = await refused(door);
        expect(response.body.errors[0].message).toMatch(message);
      }
      // An alias's previousId names a record to merge, never a new stream: kept as sent (encrypted with the
      // customer's key), merged with nothing.
      const alias = await as('public-write-key').track('alias', { userId: 'c-1', previousId: id });
      expect(alias.body.results[0].notMapped[0]).toMatchObject({ field: 'previousId', message });
    });

    it("resolves an erased customer's pseudonym to no one", async () => {
      const customerId = await registered();
      const pseudonym = new Pseudonyms(ledger.config.masterKey).of(customerId);
      expect((await as('auditor').get(`/v1/pseudonyms/${pseudonym}`)).body.customerId).toBe(customerId);
      expect((await as('admin').delete(`/v1/customers/${customerId}`)).status).toBe(200);
      const after = await as('admin').get(`/v1/pseudonyms/${pseudonym}`);
      expect(after.status).toBe(410);
      expect(after.body.type).toBe('/problems/pseudonym-erased');
      expect(JSON.stringify(after.body)).not.toContain(customerId);
    });

    it('reports what the SQLite key store did, and only that', async () => {
      const customerId = await registered();
      const report = (await as('admin').delete(`/v1/customers/${customerId}`)).body;
      expect(report.stores).toContainEqual({
        store: 'subject key store',
        action: expect.stringMatching(
          /^data key destroyed\. SQLite keys\.db: .*secure_delete.*WAL checkpointed and truncated/,
        ),
      });
    });
  });

  describe('no 5xx from any body', () => {
    const deep = `{"a":${'['.repeat(1500)}${']'.repeat(1500)}}`;
    it.each([
      ['POST', '/v1/customers'],
      ['PATCH', '/v1/customers/c-1/contact-details'],
      ['POST', '/v1/customers/c-1/consents'],
      ['POST', '/v1/customers/c-1/merge'],
      ['POST', '/v1/touchpoints'],
      ['POST', '/v1/touchpoints/batch'],
      ['POST', '/tracking/v1/batch'],
      ['POST', '/tracking/v1/identify'],
    ] as const)('refuses a body nested 1,500 levels deep on %s %s, naming the limit', async (method, url) => {
      const response = await refused(() =>
        ledger.request(method, url, deep, {
          ...bearer(url.startsWith('/tracking') ? 'public-write-key' : 'server-side-key'),
          ...(url.includes('merge') ? bearer('admin') : {}),
        }),
      );
      expect(response.body.errors[0]).toEqual({
        field: expect.stringMatching(/^a\[0\]/),
        message: 'nests objects and arrays deeper than 32 levels, the limit of a request body',
      });
    });

    it.each([
      [
        'an e-mail',
        '/v1/customers',
        () => `{"customerId":"${anId()}","name":"N","email":"a\\ud800@x.org"}`,
        'email',
      ],
      [
        'a messageId',
        '/tracking/v1/track',
        () => `{"userId":"u-1","event":"x","messageId":"m\\udc00"}`,
        'messageId',
      ],
      ['a previousId', '/tracking/v1/alias', () => `{"userId":"u-1","previousId":"p\\ud800"}`, 'previousId'],
      [
        'a note',
        '/v1/touchpoints',
        () => `{"customerId":"c-1","type":"contact","data":{"direction":"inbound","note":"\\ud83d"}}`,
        'data.note',
      ],
    ])('refuses a lone surrogate in %s, naming the field', async (_what, url, body, field) => {
      const response = await refused(() =>
        ledger.post(
          url,
          body(),
          url.startsWith('/tracking') ? { authorization: basic(keyOf('public-write-key')) } : bearer('rep'),
        ),
      );
      expect(response.body.errors).toEqual([
        { field, message: expect.stringMatching(/lone UTF-16 surrogate/) },
      ]);
    });

    it.each(['2026-02-30T00:00:00Z', '0001-01-01T00:00:00Z', '1969-12-31T23:59:59Z'])(
      'refuses occurredAt %s (no such day, or before 1970)',
      async (occurredAt) => {
        const customerId = await registered();
        const response = await refused(() =>
          as('rep').post('/v1/touchpoints', aPurchase(customerId, { occurredAt })),
        );
        expect(fieldsOf(response)).toEqual(['occurredAt']);
        const tracked = await refused(() =>
          as('public-write-key').track('page', {
            userId: customerId,
            timestamp: occurredAt,
            properties: { url: 'https://s.example/' },
          }),
        );
        expect(fieldsOf(tracked)).toEqual(['timestamp']);
      },
    );

    it('refuses an amount that is no exact decimal, and tells a too-large amount from one with too many decimals', async () => {
      const customerId = await registered();
      const refund = (amount: string) =>
        JSON.stringify(
          aTouchpoint(customerId, 'refund', { orderId: 'o-1', amount: { amount: 0, currency: 'EUR' } }),
        ).replace('"amount":0', `"amount":${amount}`);
      const tiny = await refused(() => as('rep').post('/v1/touchpoints', refund('1e-400')));
      expect(tiny.body.errors).toEqual([
        {
          field: 'data.amount.amount',
          message: expect.stringMatching(/^1e-400 cannot be held exactly \(it would be read as 0\)/),
        },
      ]);
      const huge = await refused(() => as('rep').post('/v1/touchpoints', refund('1e15')));
      expect(huge.body.errors).toEqual([
        {
          field: 'data.amount.amount',
          message: 'amount is too large: at most EUR 90071992547409.91 can be held exactly',
        },
      ]);
    });
  });
});
