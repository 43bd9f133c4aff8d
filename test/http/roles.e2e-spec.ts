import { createHash, randomBytes } from 'node:crypto';
import { ROLES, Role } from '../../src/config/api-keys';
import { Pseudonyms } from '../../src/privacy/pseudonyms';
import { discoverRoutes, HttpRoute } from '../support/http-routes';
import { LedgerTestApp } from '../support/ledger-app';
import { aPurchase, aRegistration } from '../fixtures/touchpoints';

const keyOf = (role: Role) => `test-key-for-the-${role}-role-0123456789`;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const MASTER_KEY = randomBytes(32);
const PSEUDONYM_OF_M1 = new Pseudonyms(MASTER_KEY).of('m-1');

/**
 * An example value for each path parameter of the routes walked below; a route with a parameter not listed here
 * fails the walk, naming it. `:id` is m-2, whom the admin's walk erases (DELETE /v1/customers/:id).
 */
const PATH_EXAMPLES: Record<string, string> = {
  id: 'm-2',
  pseudonym: PSEUDONYM_OF_M1,
  segment: 'champions',
  name: 'timeline',
  subject: 'sso:ada',
};

const urlOf = (route: HttpRoute) =>
  route.path.replace(/:(\w+)/g, (_, name: string) => {
    if (!(name in PATH_EXAMPLES))
      throw new Error(`${route.method} ${route.path}: add an example for :${name}`);
    return encodeURIComponent(PATH_EXAMPLES[name]!);
  });

/**
 * The roles walk, over every route the application serves (found from its controllers, not listed here): every
 * route declares its roles or that it is public; each role passes the guard exactly on the routes that declare
 * it (the answer may still refuse the empty body or query: that is the pipes' business, after the guard) and
 * gets 403 problem+json on every other; no key, an unknown and a malformed one get 401 everywhere.
 */
describe('roles by API key', () => {
  let ledger: LedgerTestApp;
  let routes: HttpRoute[];
  let guarded: HttpRoute[];

  const call = (route: HttpRoute, headers: Record<string, string>) =>
    ledger.request(
      route.method,
      urlOf(route),
      ['GET', 'DELETE'].includes(route.method) ? undefined : {},
      headers,
    );

  beforeAll(async () => {
    ledger = await LedgerTestApp.start({
      masterKey: MASTER_KEY,
      apiKeys: ROLES.map((role) => ({
        principal: `${role}-person`,
        roles: [role],
        keySha256: sha256(keyOf(role)),
      })),
      // The walk fails authentication three times on every route, all from one address: the per-address
      // limit (test/http/http-hygiene.e2e-spec.ts) is raised for it.
      authFailuresPerMinute: 10_000,
    });
    const admin = { authorization: `Bearer ${keyOf('admin')}` };
    const ingest = { authorization: `Bearer ${keyOf('ingest')}` };
    await ledger.post('/v1/customers', aRegistration({ customerId: 'm-1' }), ingest);
    await ledger.post('/v1/customers', aRegistration({ customerId: 'm-2' }), ingest);
    await ledger.post('/v1/touchpoints', aPurchase('m-1'), ingest);
    await ledger.projected();
    expect((await ledger.request('GET', '/v1/projections', undefined, admin)).status).toBe(200);
    routes = discoverRoutes(ledger.app);
    guarded = routes.filter((route) => route.roles !== undefined);
  });
  afterAll(async () => {
    await ledger.stop();
  });

  it('walks every operation of the OpenAPI document', async () => {
    const document = (await ledger.get('/docs-json')).body as { paths: Record<string, object> };
    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations)
        .filter((method) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
        .map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    expect(documented.length).toBeGreaterThan(0);
    expect(routes.map((route) => `${route.method} ${route.path}`)).toEqual(
      expect.arrayContaining(documented),
    );
  });

  it('finds every route declaring its roles, or that it is public, and not both', () => {
    const undeclared = routes
      .filter((route) => (route.roles !== undefined) === route.isPublic)
      .map((route) => `${route.method} ${route.path} (${route.handler})`);
    expect(undeclared).toEqual([]);
  });

  it.each(ROLES)(
    'lets %s through exactly the routes that declare it, and refuses it on the others',
    async (role) => {
      const wrong: string[] = [];
      for (const route of guarded) {
        const allowed = route.roles!.includes(role);
        // A server-sent event stream does not end: its refusals are walked, not its answer.
        if (allowed && route.isEventStream) continue;
        const response = await call(route, { authorization: `Bearer ${keyOf(role)}` });
        const right = allowed
          ? ![401, 403].includes(response.status) && response.status < 500
          : response.status === 403 &&
            /^application\/problem\+json/.test(String(response.headers['content-type']));
        if (!right)
          wrong.push(`${route.method} ${route.path} (roles ${route.roles!.join(', ')}): ${response.status}`);
      }
      expect(wrong).toEqual([]);
    },
  );

  it('answers 401 on every route with roles without a key, with an unknown key and with a malformed header', async () => {
    const wrong: string[] = [];
    for (const route of guarded) {
      for (const headers of <Record<string, string>[]>[
        {},
        { authorization: 'Bearer an-unknown-key-of-enough-length' },
        { authorization: 'Basic abc' },
      ]) {
        const response = await call(route, headers);
        if (response.status !== 401)
          wrong.push(`${route.method} ${route.path} ${JSON.stringify(headers)}: ${response.status}`);
      }
    }
    expect(wrong).toEqual([]);
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
