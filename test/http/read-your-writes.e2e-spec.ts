import { createHash } from 'node:crypto';
import { join } from 'node:path';
import pino from 'pino';
import { PROJECTIONS } from '../../projections/catalog';
import { createSqliteEventStore } from '../../src/adapters/sqlite/sqlite-event-store';
import { ProjectionEngine } from '../../src/application/read-models/projection-engine';
import { createSqliteReadStore } from '../../src/adapters/sqlite/sqlite-read-store';
import { aRegistration, aTouchpoint } from '../fixtures/touchpoints';
import { LedgerTestApp } from '../support/ledger-app';

const MIN_POSITION = 'x-ledger-min-position';

describe('read-your-writes: reads given a minimum log position', () => {
  describe('in a service that folds', () => {
    let ledger: LedgerTestApp;

    beforeAll(async () => {
      ledger = await LedgerTestApp.start();
    });
    afterAll(async () => {
      await ledger.stop();
    });

    it('shows a registration to the read that carries its position, without waiting for the projections first', async () => {
      const registration = aRegistration({ name: 'Mary Somerville', email: 'mary@example.org' });

      const written = await ledger.post('/v1/customers', registration);
      const profile = await ledger.request('GET', `/v1/customers/${registration.customerId}`, undefined, {
        [MIN_POSITION]: String(written.body.position),
      });

      expect(written.status).toBe(201);
      expect(profile.status).toBe(200);
      expect(profile.body).toMatchObject({
        customerId: registration.customerId,
        registered: true,
        name: 'Mary Somerville',
        email: 'mary@example.org',
      });
    });

    it('takes the position as the query parameter minPosition too, on endpoints whose queries refuse unknown fields', async () => {
      const registration = aRegistration();
      await ledger.post('/v1/customers', registration);
      const touchpoint = await ledger.post(
        '/v1/touchpoints',
        aTouchpoint(registration.customerId, 'survey', { kind: 'csat', score: 5 }),
      );
      const { position } = touchpoint.body;

      const timeline = await ledger.get(
        `/v1/customers/${registration.customerId}/timeline?limit=10&minPosition=${position}`,
      );
      const loyalty = await ledger.get(
        `/v1/customers/${registration.customerId}/loyalty?minPosition=${position}`,
      );

      expect(timeline.status).toBe(200);
      expect(timeline.body.entries.map((entry: { type: string }) => entry.type).sort()).toEqual([
        'CustomerRegistered',
        'SurveyAnswered',
      ]);
      expect(loyalty.status).toBe(200);
      expect(loyalty.body.components.satisfaction).toBe(1);
    });

    it('shows an erasure to the read that carries the erasure position', async () => {
      const registration = aRegistration({ name: 'Forget Me', email: 'forget.me@example.org' });
      const written = await ledger.post('/v1/customers', registration);
      const before = await ledger.request('GET', `/v1/customers/${registration.customerId}`, undefined, {
        [MIN_POSITION]: String(written.body.position),
      });

      const erasure = await ledger.request('DELETE', `/v1/customers/${registration.customerId}`);
      const after = await ledger.request('GET', `/v1/customers/${registration.customerId}`, undefined, {
        [MIN_POSITION]: String(erasure.body.position),
      });

      expect(before.body).toMatchObject({ erased: false, name: 'Forget Me' });
      expect(erasure.status).toBe(200);
      expect(erasure.body.position).toBeGreaterThan(written.body.position);
      expect(after.status).toBe(200);
      expect(after.body).toMatchObject({ customerId: registration.customerId, erased: true });
      expect(after.body.name).not.toBe('Forget Me');
    });

    it.each([
      ['a word', { [MIN_POSITION]: 'latest' }, '', [MIN_POSITION]],
      ['a negative number', { [MIN_POSITION]: '-1' }, '', [MIN_POSITION]],
      ['a fraction', { [MIN_POSITION]: '1.5' }, '', [MIN_POSITION]],
      ['an empty header', { [MIN_POSITION]: '' }, '', [MIN_POSITION]],
      ['a number beyond safe integers', { [MIN_POSITION]: '9007199254740993' }, '', [MIN_POSITION]],
      ['a bad query parameter', {}, '?minPosition=abc', ['minPosition']],
      ['a repeated query parameter', {}, '?minPosition=1&minPosition=2', ['minPosition']],
      ['both bad', { [MIN_POSITION]: 'x' }, '?minPosition=y', [MIN_POSITION, 'minPosition']],
    ])('answers 400 naming the field for %s', async (_, headers, search, fields) => {
      const registration = aRegistration();
      await ledger.post('/v1/customers', registration);

      const response = await ledger.request(
        'GET',
        `/v1/customers/${registration.customerId}/timeline${search}`,
        undefined,
        headers,
      );

      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body.errors.map((error: { field: string }) => error.field)).toEqual(fields);
    });

    it('answers 400 for a position beyond the log head, naming the field', async () => {
      const { head } = (await ledger.get('/v1/projections')).body;

      const response = await ledger.request('GET', '/v1/analytics/funnel', undefined, {
        [MIN_POSITION]: String(head + 1000),
      });

      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body.errors).toEqual([
        { field: MIN_POSITION, message: expect.stringContaining('beyond the log head') },
      ]);
    });

    it('describes the header on every GET operation of the OpenAPI document', async () => {
      const { paths } = (await ledger.get('/docs-json')).body as {
        paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
      };
      const headerOf = (operation?: { parameters?: { name: string; in: string }[] }) =>
        operation?.parameters?.find((parameter) => parameter.name === MIN_POSITION);

      expect(headerOf(paths['/v1/customers/{id}']!.get)).toMatchObject({ in: 'header' });
      expect(headerOf(paths['/v1/customers/{id}/timeline']!.get)).toMatchObject({ in: 'header' });
      expect(headerOf(paths['/v1/customers']!.post)).toBeUndefined();
    });
  });

  describe('in a service that does not fold (LEDGER_PROJECTIONS=off)', () => {
    let ledger: LedgerTestApp;
    let projector: { engine: ProjectionEngine; close(): Promise<void> } | undefined;

    beforeAll(async () => {
      ledger = await LedgerTestApp.start({ runProjections: false });
    });
    afterAll(async () => {
      await projector?.close();
      await ledger.stop();
    });

    it('answers 503 with Retry-After while no projector has folded the position, then 200 once one has', async () => {
      const registration = aRegistration({ name: 'Caroline Herschel' });
      const written = await ledger.post('/v1/customers', registration);
      const read = () =>
        ledger.request('GET', `/v1/customers/${registration.customerId}`, undefined, {
          [MIN_POSITION]: String(written.body.position),
        });

      const unfolded = await read();
      projector = await startProjector(ledger.config.dataDir);
      const folded = await read();

      expect(unfolded.status).toBe(503);
      expect(unfolded.headers['retry-after']).toBe('1');
      expect(unfolded.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(unfolded.body).toMatchObject({ status: 503 });
      expect(unfolded.body.title).toContain(`position ${written.body.position}`);
      expect(folded.status).toBe(200);
      expect(folded.body).toMatchObject({ registered: true, name: 'Caroline Herschel' });
    });
  });

  describe('with API keys', () => {
    const key = 'read-your-writes-key-for-the-analyst-role';
    let ledger: LedgerTestApp;

    beforeAll(async () => {
      ledger = await LedgerTestApp.start({
        apiKeys: [
          {
            principal: 'analyst-person',
            roles: ['analyst'],
            keySha256: createHash('sha256').update(key).digest('hex'),
          },
        ],
      });
    });
    afterAll(async () => {
      await ledger.stop();
    });

    it('checks the caller before looking at the position: no key, 401; a key, the 400 of a position too far', async () => {
      const tooFar = { [MIN_POSITION]: '1000000' };

      const anonymous = await ledger.request('GET', '/v1/analytics/funnel', undefined, tooFar);
      const analyst = await ledger.request('GET', '/v1/analytics/funnel', undefined, {
        ...tooFar,
        authorization: `Bearer ${key}`,
      });

      expect(anonymous.status).toBe(401);
      expect(analyst.status).toBe(400);
      expect(analyst.body.errors).toEqual([
        { field: MIN_POSITION, message: expect.stringContaining('beyond the log head') },
      ]);
    });
  });
});

/** A projector process of its own, as `npm run ledger -- project` runs it: same files, its own connections. */
async function startProjector(dataDir: string) {
  const events = createSqliteEventStore({ file: join(dataDir, 'events.db'), pollIntervalMs: 20 });
  const reads = createSqliteReadStore(join(dataDir, 'read-models.db'));
  const engine = new ProjectionEngine(events, reads, PROJECTIONS, pino({ level: 'silent' }));
  await engine.start();
  return {
    engine,
    async close() {
      await engine.stop();
      await events.close();
      await reads.close();
    },
  };
}
