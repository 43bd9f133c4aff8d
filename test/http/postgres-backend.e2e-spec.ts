import { randomUUID } from 'node:crypto';
import { aPurchase, aRegistration, aTouchpoint } from '../fixtures/touchpoints';
import { LedgerTestApp } from '../support/ledger-app';
import {
  createTestDatabase,
  dropTestDatabase,
  reportPostgresSkipped,
  testDatabaseUrl,
  withClient,
} from '../support/postgres';

/**
 * The real service, in-process, with all three stores on PostgreSQL (DATABASE_URL pointing at a fresh
 * database of the TEST_DATABASE_URL server): register, record touchpoints, read the profile with
 * read-your-writes, restart, erase. Runs whenever TEST_DATABASE_URL is set, as in every CI run.
 */
reportPostgresSkipped('PostgreSQL HTTP flow');
const describeWithServer = testDatabaseUrl ? describe : describe.skip;
const reason = testDatabaseUrl ? '' : ' (skipped: TEST_DATABASE_URL is not set)';
const MIN_POSITION = 'x-ledger-min-position';

describeWithServer(`the service on PostgreSQL${reason}`, () => {
  let database: { name: string; url: string };
  let ledger: LedgerTestApp;

  beforeAll(async () => {
    database = await createTestDatabase('ledger_e2e');
    ledger = await LedgerTestApp.start({ databaseUrl: database.url });
  });
  afterAll(async () => {
    await ledger?.stop();
    if (database) await dropTestDatabase(database.name);
  });

  /** Every row of every table of the database as text, to look for plaintext at rest. */
  const everythingStored = () =>
    withClient(database.url, async (client) => {
      const { rows: tables } = await client.query<{ tablename: string }>(
        `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`,
      );
      const contents: string[] = [];
      for (const { tablename } of tables) {
        const { rows } = await client.query<{ row: string }>(
          `SELECT to_jsonb(t)::text AS row FROM ${tablename} t`,
        );
        contents.push(...rows.map((row) => row.row));
      }
      return { tables: tables.map((table) => table.tablename), text: contents.join('\n') };
    });

  it('registers, records touchpoints, reads its own writes, survives a restart and erases, all on PostgreSQL', async () => {
    const customerId = `c-${randomUUID().slice(0, 8)}`;
    const secrets = {
      name: 'Grace Postgres-Hopper',
      email: 'grace.pg@erase.example',
      comment: 'Call Grace after six',
    };
    const registered = await ledger.post(
      '/v1/customers',
      aRegistration({ customerId, name: secrets.name, email: secrets.email }),
    );
    // Touchpoints of earlier days: the registration (occurred now) is the newest entry of the timeline.
    const purchaseBodies = [1, 2].map((day) => ({
      ...aPurchase(customerId, { occurredAt: `2026-03-0${day}T10:00:00Z` }),
      eventId: randomUUID(),
    }));
    const purchases = [];
    for (const body of purchaseBodies) purchases.push(await ledger.post('/v1/touchpoints', body));
    const survey = await ledger.post(
      '/v1/touchpoints',
      aTouchpoint(
        customerId,
        'survey',
        { kind: 'nps', score: 9, comment: secrets.comment },
        { occurredAt: '2026-03-03T10:00:00Z' },
      ),
    );
    // A retry of the first purchase, same id and body, as a client whose answer was lost sends it.
    const retried = await ledger.post('/v1/touchpoints', purchaseBodies[0]);

    expect(registered.status).toBe(201);
    expect(purchases.map((purchase) => purchase.status)).toEqual([201, 201]);
    expect(survey.body).toMatchObject({ streamRevision: 3, duplicate: false });
    // Positions are the log's own: dense, in the order written.
    expect([registered, ...purchases, survey].map((response) => response.body.position)).toEqual([
      1, 2, 3, 4,
    ]);

    const profile = await ledger.request('GET', `/v1/customers/${customerId}`, undefined, {
      [MIN_POSITION]: String(survey.body.position),
    });
    expect(profile.status).toBe(200);
    expect(profile.body).toMatchObject({
      customerId,
      registered: true,
      erased: false,
      name: secrets.name,
      email: secrets.email,
      purchaseCount: 2,
      funnelStage: 'advocate',
    });
    expect(profile.body.netSpend.amount).toBeCloseTo(241.02, 2);
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ duplicate: true, position: 2 });
    const timeline = await ledger.get(`/v1/customers/${customerId}/timeline?limit=2`);
    expect(timeline.body.entries.map((entry: { type: string }) => entry.type)).toEqual([
      'CustomerRegistered',
      'SurveyAnswered',
    ]);
    const nextPage = await ledger.get(
      `/v1/customers/${customerId}/timeline?limit=2&cursor=${timeline.body.nextCursor}`,
    );
    expect(nextPage.body.entries.map((entry: { occurredAt: string }) => entry.occurredAt)).toEqual([
      '2026-03-02T10:00:00.000Z',
      '2026-03-01T10:00:00.000Z',
    ]);
    const stored = await everythingStored();
    expect(stored.tables).toEqual(
      expect.arrayContaining(['events', 'streams', 'subject_keys', 'checkpoints']),
    );
    for (const secret of Object.values(secrets)) expect(stored.text).not.toContain(secret);

    ledger = await ledger.restart();
    expect(
      (await ledger.get(`/v1/customers?email=${encodeURIComponent(secrets.email)}`)).body.customers,
    ).toEqual([{ customerId }]);

    const erasure = await ledger.request('DELETE', `/v1/customers/${customerId}?requestId=DSR-PG-1`);
    // The report says what PostgreSQL did, and claims no secure_delete it does not have.
    const keyAction = erasure.body.stores.find(
      (entry: { store: string }) => entry.store === 'subject key store',
    ).action as string;
    expect(keyAction).toMatch(/^data key destroyed\. PostgreSQL subject_keys: .*VACUUMed/);
    expect(keyAction).not.toMatch(/secure_delete/);
    const after = await ledger.request('GET', `/v1/customers/${customerId}`, undefined, {
      [MIN_POSITION]: String(erasure.body.position),
    });
    const keyRow = await withClient(database.url, async (client) => {
      const { rows } = await client.query(
        'SELECT wrapped_key, erased_at IS NOT NULL AS erased FROM subject_keys WHERE subject_id = $1',
        [customerId],
      );
      return rows[0];
    });

    expect(erasure.status).toBe(200);
    expect(erasure.body).toMatchObject({ customerId, requestId: 'DSR-PG-1', alreadyErased: false });
    // Reads of personal data were logged in the customer's access stream in between.
    expect(erasure.body.position).toBeGreaterThan(survey.body.position);
    expect(erasure.body.stores.map((entry: { store: string }) => entry.store)).toEqual([
      'event store',
      'subject key store',
      'e-mail blind index',
      'read models',
    ]);
    expect(after.body).toMatchObject({ erased: true, name: '[erased]', email: '[erased]', purchaseCount: 2 });
    expect(keyRow).toEqual({ wrapped_key: null, erased: true });
    expect(
      (await ledger.get(`/v1/customers?email=${encodeURIComponent(secrets.email)}`)).body.customers,
    ).toEqual([]);
    // Dense positions: the whole log verifies, and its last position is its number of events.
    const verification = (await ledger.get('/v1/audit/verify')).body;
    const log = await withClient(database.url, async (client) => {
      const { rows } = await client.query(
        'SELECT max(position)::int AS last, count(*)::int AS events FROM events',
      );
      return rows[0];
    });
    expect(verification).toMatchObject({ ok: true, events: log.events });
    expect(log.last).toBe(log.events);
  });
});
