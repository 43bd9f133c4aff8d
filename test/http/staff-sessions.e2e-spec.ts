import { createHash } from 'node:crypto';
import { Principal } from '../../src/application/staff-auth/principal';
import {
  SESSIONS_COLLECTION,
  StaffSession,
  StaffSessions,
} from '../../src/application/staff-auth/staff-sessions';
import { READ_STORE, ReadStore } from '../../src/ports/read-store.port';
import { EVENT_STORE, EventStore } from '../../src/ports/event-store.port';
import { staffAccessStreamId } from '../../src/application/staff-auth/staff-activity.query';
import { LedgerTestApp } from '../support/ledger-app';
import { aPurchase, aRegistration } from '../fixtures/touchpoints';

/**
 * Staff sessions over HTTP in-process: the session cookie authorizes like a key but names the person; writes
 * made with it need the anti-forgery token; idle and absolute timeouts, signing out and an admin ending a
 * person's sessions. Sessions are started directly (the sign-in flows have their own browser tests); expiry is
 * reached by ageing the stored session, not by waiting.
 */
const ADMIN_KEY = 'test-key-for-the-admin-role-0123456789';
const INGEST_KEY = 'test-key-for-the-ingest-role-0123456789';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const PUBLIC_URL = 'http://ledger.test:3000';

const rep: Principal = {
  subject: 'sso:7f3c2a',
  displayName: 'Rosa Rep',
  roles: ['rep'],
  authentication: { method: 'sso', issuer: 'http://idp.test', amr: ['pwd', 'otp'] },
};
const analyst: Principal = {
  ...rep,
  subject: 'sso:analyst-1',
  displayName: 'Ann Analyst',
  roles: ['analyst'],
};

describe('staff sessions', () => {
  let ledger: LedgerTestApp;
  let sessions: StaffSessions;
  let reads: ReadStore;

  beforeAll(async () => {
    ledger = await LedgerTestApp.start({
      apiKeys: [
        { principal: 'admin-key', roles: ['admin', 'auditor'], keySha256: sha256(ADMIN_KEY) },
        { principal: 'ingest-key', roles: ['ingest'], keySha256: sha256(INGEST_KEY) },
      ],
      staffSignIn: {
        publicUrl: PUBLIC_URL,
        localAccounts: false,
        sessions: { idleMinutes: 30, absoluteHours: 12 },
      },
    });
    sessions = ledger.app.get(StaffSessions);
    reads = ledger.app.get<ReadStore>(READ_STORE);
    const registered = await ledger.post('/v1/customers', aRegistration({ customerId: 'c-1' }), {
      authorization: `Bearer ${INGEST_KEY}`,
    });
    expect(registered.status).toBe(201);
    await ledger.projected();
  });

  afterAll(() => ledger.stop());

  const signIn = async (principal: Principal = rep) => (await sessions.start(principal, new Date())).token;
  const cookie = (token: string) => ({ cookie: `other=1; ledger-session=${token}` });
  const csrfOf = async (token: string) =>
    (await ledger.request('GET', '/auth/session', undefined, cookie(token))).body.csrfToken as string;
  const admin = { authorization: `Bearer ${ADMIN_KEY}` };

  /** Moves a stored session back in time, as if the person had been away. */
  async function age(token: string, change: (session: StaffSession) => Partial<StaffSession>) {
    const id = sha256(token);
    const stored = (await reads.get<StaffSession>(SESSIONS_COLLECTION, id))!;
    const doc = { ...stored, ...change(stored) };
    await reads.commit([{ collection: SESSIONS_COLLECTION, writes: [{ id, doc }] }], {});
  }

  it('reads with the session cookie, and the access log names the person and how they signed in', async () => {
    const token = await signIn();
    const session = await ledger.request('GET', '/auth/session', undefined, cookie(token));
    expect(session.status).toBe(200);
    expect(session.body).toMatchObject({
      subject: 'sso:7f3c2a',
      displayName: 'Rosa Rep',
      roles: ['rep'],
      authentication: 'sso:pwd+otp',
      csrfToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    const profile = await ledger.request('GET', '/v1/customers/c-1', undefined, cookie(token));
    expect(profile.status).toBe(200);
    const audit = await ledger.request('GET', '/v1/audit/customers/c-1', undefined, admin);
    expect(audit.body.accessLog).toEqual([
      expect.objectContaining({
        actor: 'sso:7f3c2a',
        actorName: 'Rosa Rep',
        authentication: 'sso:pwd+otp',
        resource: 'profile',
      }),
    ]);
    // The auditor's own read is entered once answered: the next look shows it, attributed to the key.
    const again = await ledger.request('GET', '/v1/audit/customers/c-1', undefined, admin);
    expect(again.body.accessLog[1]).toMatchObject({
      actor: 'admin-key',
      authentication: 'api-key',
      resource: 'audit-trail',
    });
    expect(again.body.accessLog[1].actorName).toBeUndefined();
  });

  it('refuses a write made with the cookie but without the anti-forgery token, or from another origin', async () => {
    const token = await signIn();
    const csrf = await csrfOf(token);
    const body = JSON.stringify(aPurchase('c-1'));
    const noToken = await ledger.request('POST', '/v1/touchpoints', body, cookie(token));
    expect(noToken.status).toBe(403);
    expect(noToken.body.title).toMatch(/anti-forgery token in x-csrf-token/);
    const wrongToken = await ledger.request('POST', '/v1/touchpoints', body, {
      ...cookie(token),
      'x-csrf-token': `${csrf.slice(0, -2)}xx`,
    });
    expect(wrongToken.status).toBe(403);
    const otherSite = await ledger.request('POST', '/v1/touchpoints', body, {
      ...cookie(token),
      'x-csrf-token': csrf,
      origin: 'https://evil.example',
    });
    expect(otherSite.status).toBe(403);
    expect(otherSite.body.title).toMatch(/Origin https:\/\/evil.example/);

    const accepted = await ledger.request('POST', '/v1/touchpoints', body, {
      ...cookie(token),
      'x-csrf-token': csrf,
      origin: PUBLIC_URL,
    });
    expect(accepted.status).toBe(201);
    const events = await ledger.request('GET', '/v1/customers/c-1/events', undefined, admin);
    expect(events.body.events.at(-1).metadata).toMatchObject({
      actor: 'sso:7f3c2a',
      actorName: 'Rosa Rep',
      authentication: 'sso:pwd+otp',
    });
  });

  it('exempts API-key requests from the anti-forgery rule and records the key as api-key', async () => {
    const recorded = await ledger.post('/v1/touchpoints', aPurchase('c-1'), {
      authorization: `Bearer ${INGEST_KEY}`,
    });
    expect(recorded.status).toBe(201);
    const events = await ledger.request('GET', '/v1/customers/c-1/events', undefined, admin);
    const last = events.body.events.at(-1);
    expect(last.metadata).toMatchObject({ actor: 'ingest-key', authentication: 'api-key' });
    expect(last.metadata.actorName).toBeUndefined();
  });

  it('holds the person to their roles', async () => {
    const token = await signIn(analyst);
    expect((await ledger.request('GET', '/v1/customers/c-1', undefined, cookie(token))).status).toBe(403);
    expect((await ledger.request('GET', '/v1/analytics/funnel', undefined, cookie(token))).status).toBe(200);
  });

  it('ends a session idle longer than the idle timeout, and one older than the absolute timeout', async () => {
    const idle = await signIn();
    await age(idle, () => ({ lastSeenAt: new Date(Date.now() - 31 * 60_000).toISOString() }));
    expect((await ledger.request('GET', '/v1/customers/c-1', undefined, cookie(idle))).status).toBe(401);
    expect(await reads.get(SESSIONS_COLLECTION, sha256(idle))).toBeUndefined();

    const old = await signIn();
    await age(old, () => ({ startedAt: new Date(Date.now() - 13 * 3_600_000).toISOString() }));
    expect((await ledger.request('GET', '/v1/customers/c-1', undefined, cookie(old))).status).toBe(401);

    const active = await signIn();
    await age(active, () => ({ lastSeenAt: new Date(Date.now() - 29 * 60_000).toISOString() }));
    expect((await ledger.request('GET', '/v1/customers/c-1', undefined, cookie(active))).status).toBe(200);
    const touched = await reads.get<StaffSession>(SESSIONS_COLLECTION, sha256(active));
    expect(Date.now() - Date.parse(touched!.lastSeenAt)).toBeLessThan(60_000);
  });

  it('signs out with the anti-forgery token and clears the cookie', async () => {
    const token = await signIn();
    const forged = await ledger.request('POST', '/auth/sign-out', undefined, cookie(token));
    expect(forged.status).toBe(403);
    const signedOut = await ledger.request('POST', '/auth/sign-out', undefined, {
      ...cookie(token),
      'x-csrf-token': await csrfOf(token),
    });
    expect(signedOut.status).toBe(204);
    expect(signedOut.headers['set-cookie']).toEqual([
      'ledger-session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0',
    ]);
    expect((await ledger.request('GET', '/auth/session', undefined, cookie(token))).status).toBe(401);
  });

  it('lets an admin list and end every session of a person, and no one else', async () => {
    const person: Principal = { ...rep, subject: 'sso:leaver', displayName: 'Leo Leaver' };
    const first = await signIn(person);
    const second = await signIn(person);
    const bystander = await signIn();
    const url = `/v1/staff/${encodeURIComponent('sso:leaver')}/sessions`;
    expect((await ledger.request('DELETE', url, undefined, cookie(bystander))).status).toBe(403);
    const listed = await ledger.request('GET', url, undefined, admin);
    expect(listed.body.sessions).toHaveLength(2);
    expect(listed.body.sessions[0]).toEqual({
      sessionId: expect.stringMatching(/^[0-9a-f]{64}$/),
      subject: 'sso:leaver',
      displayName: 'Leo Leaver',
      startedAt: expect.any(String),
      lastSeenAt: expect.any(String),
    });
    const ended = await ledger.request('DELETE', url, undefined, admin);
    expect(ended.body).toEqual({ subject: 'sso:leaver', ended: 2 });
    for (const token of [first, second]) {
      expect((await ledger.request('GET', '/v1/customers/c-1', undefined, cookie(token))).status).toBe(401);
    }
    expect((await ledger.request('GET', '/v1/customers/c-1', undefined, cookie(bystander))).status).toBe(200);
  });

  it('lists everything one person read or changed in a period for an auditor, and records that listing', async () => {
    const person: Principal = { ...rep, subject: 'sso:traced', displayName: 'Tess Traced' };
    const token = await signIn(person);
    const before = new Date().toISOString();
    expect((await ledger.request('GET', '/v1/customers/c-1/timeline', undefined, cookie(token))).status).toBe(
      200,
    );
    const recorded = await ledger.request('POST', '/v1/touchpoints', JSON.stringify(aPurchase('c-1')), {
      ...cookie(token),
      'x-csrf-token': await csrfOf(token),
    });
    expect(recorded.status).toBe(201);
    const after = new Date().toISOString();
    const url = `/v1/audit/staff/${encodeURIComponent('sso:traced')}/activity?from=${before}&to=${after}`;

    const listed = await ledger.request('GET', url, undefined, admin);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({
      subject: 'sso:traced',
      from: before,
      to: after,
      actions: [
        expect.objectContaining({
          kind: 'read',
          customerId: 'c-1',
          resource: 'timeline',
          authentication: 'sso:pwd+otp',
        }),
        expect.objectContaining({
          kind: 'change',
          customerId: 'c-1',
          eventId: recorded.body.eventId,
          position: recorded.body.position,
          authentication: 'sso:pwd+otp',
        }),
      ],
    });
    const earlier = await ledger.request('GET', url.replace(`to=${after}`, `to=${before}`), undefined, admin);
    expect(earlier.body.actions).toEqual([]);

    const listings = await ledger.app
      .get<EventStore>(EVENT_STORE)
      .readStream(staffAccessStreamId('sso:traced'));
    expect(listings.map(({ type, data, metadata }) => ({ type, data, actor: metadata.actor }))).toEqual([
      { type: 'StaffActivityListed', data: { from: before, to: after, actions: 2 }, actor: 'admin-key' },
      { type: 'StaffActivityListed', data: { from: before, to: before, actions: 0 }, actor: 'admin-key' },
    ]);

    const missing = await ledger.request(
      'GET',
      `/v1/audit/staff/sso%3Atraced/activity?from=${before}`,
      undefined,
      admin,
    );
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toEqual([expect.objectContaining({ field: 'to' })]);
    expect((await ledger.request('GET', url, undefined, cookie(token))).status).toBe(403);
  });

  it('does not run open when staff sign-in is on and no API keys are configured', async () => {
    const closed = await LedgerTestApp.start({
      staffSignIn: {
        publicUrl: PUBLIC_URL,
        localAccounts: true,
        sessions: { idleMinutes: 30, absoluteHours: 12 },
      },
    });
    try {
      expect((await closed.request('GET', '/v1/customers/c-1')).status).toBe(401);
      expect((await closed.request('GET', '/auth/options')).body).toEqual({
        singleSignOn: false,
        localAccounts: true,
        apiKeys: false,
      });
    } finally {
      await closed.stop();
    }
  });
});
