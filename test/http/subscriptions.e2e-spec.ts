import { createHash } from 'node:crypto';
import { ROLES, Role } from '../../src/config/api-keys';
import { verifyLedgerSignature } from '../../src/application/subscriptions/webhook-signature';
import { aPurchase, aRegistration, aTouchpoint } from '../fixtures/touchpoints';
import { LedgerTestApp } from '../support/ledger-app';
import { ReceivedRequest, WebhookReceiver } from '../support/webhook-receiver';

/**
 * Fast retries, so that parking takes milliseconds: 3 attempts, pauses of 10-40 ms. A request gets 1 s: on a
 * busy machine a local answer may take a few hundred milliseconds, which must not count as a timeout. The
 * receivers listen on loopback, which webhooks reach only through the allow list, as in-house receivers do.
 */
const FAST_DELIVERY = {
  maxAttempts: 3,
  retryBaseMs: 10,
  retryMaxMs: 40,
  requestTimeoutMs: 1_000,
  pollIntervalMs: 50,
  allowedTargets: ['127.0.0.1'],
};

const typesOf = (requests: readonly ReceivedRequest[]) => requests.map((request) => request.body.type);

describe('outbound subscriptions: /v1/subscriptions', () => {
  let ledger: LedgerTestApp;
  const receivers: WebhookReceiver[] = [];

  /** A ledger with no allow list: webhooks reach public addresses only. */
  let withoutAllowList: LedgerTestApp;

  beforeAll(async () => {
    ledger = await LedgerTestApp.start({ subscriptionDelivery: FAST_DELIVERY });
    withoutAllowList = await LedgerTestApp.start({
      subscriptionDelivery: { ...FAST_DELIVERY, allowedTargets: [] },
    });
  });
  afterAll(async () => {
    await ledger.stop();
    await withoutAllowList.stop();
    await Promise.all(receivers.map((receiver) => receiver.stop()));
  });

  async function aReceiver(...args: Parameters<typeof WebhookReceiver.start>): Promise<WebhookReceiver> {
    const receiver = await WebhookReceiver.start(...args);
    receivers.push(receiver);
    return receiver;
  }

  async function subscribe(receiver: WebhookReceiver, body: Record<string, unknown> = {}) {
    const response = await ledger.post('/v1/subscriptions', { name: 'test', url: receiver.url(), ...body });
    expect(response.status).toBe(201);
    return response.body as { id: string; secret: string; principal: string; status: { position: number } };
  }

  it('registers, answers the secret once, and delivers signed events in log order without personal data', async () => {
    const receiver = await aReceiver();
    const head = (await ledger.get('/v1/projections')).body.head as number;
    const subscription = await subscribe(receiver, { name: 'mailer' });
    expect(subscription).toMatchObject({
      name: 'mailer',
      url: receiver.url(),
      eventTypes: 'all',
      format: 'ledger',
      includePersonalData: false,
      startFrom: 'now',
      firstPosition: head + 1,
      state: 'active',
      principal: `subscription:${subscription.id}`,
      status: { position: head, delivered: 0, parked: 0 },
    });
    expect(subscription.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const listed = await ledger.get('/v1/subscriptions');
    expect(listed.body.subscriptions.map((each: { id: string }) => each.id)).toContain(subscription.id);
    expect(JSON.stringify(listed.body)).not.toContain(subscription.secret);
    expect(JSON.stringify((await ledger.get(`/v1/subscriptions/${subscription.id}`)).body)).not.toContain(
      subscription.secret,
    );

    const registered = await ledger.post('/v1/customers', aRegistration({ customerId: 'sub-1' }));
    const purchased = await ledger.post('/v1/touchpoints', aPurchase('sub-1'));
    await receiver.waitFor((requests) => requests.length >= 2, 'two deliveries');

    const [registration, purchase] = receiver.requests;
    expect(typesOf(receiver.requests)).toEqual(['CustomerRegistered', 'PurchaseCompleted']);
    expect(registration!.body).toMatchObject({
      eventId: registered.body.eventId,
      customerId: 'sub-1',
      streamId: 'customer-sub-1',
      streamRevision: 0,
      position: registered.body.position,
      data: { country: 'GB', source: 'web-signup' },
      omittedFields: ['name', 'email', 'phone'],
    });
    expect(Object.keys(registration!.body.data).sort()).toEqual(['country', 'source']);
    expect(purchase!.body).toMatchObject({
      eventId: purchased.body.eventId,
      streamRevision: 1,
      position: purchased.body.position,
      data: { total: { amountMinor: 12051, currency: 'EUR' } },
    });
    for (const request of receiver.requests) {
      expect(request.rawBody).not.toMatch(/Ada|Lovelace|example\.org|7946/);
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers['ledger-event-id']).toBe(request.body.eventId);
      expect(request.headers['ledger-subscription-id']).toBe(subscription.id);
      expect(
        verifyLedgerSignature({
          secret: subscription.secret,
          header: request.headers['ledger-signature'] as string,
          body: request.rawBody,
        }),
      ).toMatchObject({ valid: true });
      expect(
        verifyLedgerSignature({
          secret: 'whsec_another-secret-altogether',
          header: request.headers['ledger-signature'] as string,
          body: request.rawBody,
        }).valid,
      ).toBe(false);
    }

    // The runner commits a delivery once the answer is in: a moment after the receiver saw the request.
    await waitUntil(async () => (await statusOf(subscription.id)).delivered === 2);
    const status = await statusOf(subscription.id);
    expect(status).toMatchObject({
      position: purchased.body.position,
      lag: 0,
      delivered: 2,
      lastDelivery: { eventId: purchased.body.eventId, status: 200, attempts: 1 },
      failures: { consecutive: 0 },
      parked: 0,
    });
  });

  it('delivers only the chosen types, and CustomerErased to every subscription whatever its filter', async () => {
    const receiver = await aReceiver();
    await subscribe(receiver, { eventTypes: ['PurchaseCompleted'] });
    await ledger.post('/v1/customers', aRegistration({ customerId: 'sub-2' }));
    await ledger.post('/v1/touchpoints', aTouchpoint('sub-2', 'browse', { productId: 'p-1' }));
    const purchase = await ledger.post('/v1/touchpoints', aPurchase('sub-2'));
    const erased = await ledger.request('DELETE', '/v1/customers/sub-2');
    expect(erased.status).toBe(200);

    // CustomerErased is the last event: once it is in, every earlier one has been handled.
    await receiver.waitFor((requests) => typesOf(requests).includes('CustomerErased'), 'the erasure');
    expect(typesOf(receiver.requests)).toEqual(['PurchaseCompleted', 'CustomerErased']);
    expect(receiver.requests[0]!.body.eventId).toBe(purchase.body.eventId);
    expect(receiver.requests[1]!.body).toMatchObject({
      customerId: 'sub-2',
      position: erased.body.position,
      data: { requestId: erased.body.requestId },
    });
  });

  it('delivers personal data decrypted when allowed, each delivery entered in the access log', async () => {
    const receiver = await aReceiver();
    const subscription = await subscribe(receiver, {
      includePersonalData: true,
      eventTypes: ['CustomerRegistered'],
    });
    await ledger.post('/v1/customers', aRegistration({ customerId: 'sub-3' }));
    await receiver.waitFor((requests) => requests.length >= 1, 'the registration');
    expect(receiver.requests[0]!.body.data).toEqual({
      name: 'Ada Lovelace',
      email: 'ada.lovelace@example.org',
      phone: '+44 20 7946 0958',
      country: 'GB',
      source: 'web-signup',
    });
    expect(receiver.requests[0]!.body.omittedFields).toBeUndefined();

    const audit = await ledger.get('/v1/audit/customers/sub-3');
    const reads = (audit.body.accessLog as { actor: string; resource: string }[]).filter(
      (entry) => entry.resource === 'subscription-delivery',
    );
    expect(reads).toEqual([expect.objectContaining({ actor: subscription.principal })]);

    // After erasure, what goes out again (a replay) holds no personal data, and no read is logged for it.
    const erased = await ledger.request('DELETE', '/v1/customers/sub-3');
    const replay = await ledger.post(`/v1/subscriptions/${subscription.id}/replay`, {
      fromPosition: subscription.status.position + 1,
    });
    expect(replay.status).toBe(202);
    await receiver.waitFor(
      (requests) =>
        typesOf(requests).lastIndexOf('CustomerErased') >
          typesOf(requests).lastIndexOf('CustomerRegistered') &&
        typesOf(requests).filter((type) => type === 'CustomerRegistered').length >= 2,
      'the registration and the erasure replayed',
    );
    const again = receiver.requests.filter((request) => request.body.type === 'CustomerRegistered');
    expect(again).toHaveLength(2);
    expect(again[1]!.body.data).toMatchObject({ name: '[erased]', email: '[erased]', phone: '[erased]' });
    expect(receiver.requests[receiver.requests.length - 1]!.body.position).toBe(erased.body.position);
    const after = await ledger.get('/v1/audit/customers/sub-3');
    expect(
      (after.body.accessLog as { resource: string }[]).filter(
        (entry) => entry.resource === 'subscription-delivery',
      ),
    ).toHaveLength(1);
  });

  it('shapes structured CloudEvents 1.0 documents', async () => {
    const receiver = await aReceiver();
    await subscribe(receiver, { format: 'cloudevents', eventTypes: ['PurchaseCompleted'] });
    const purchase = await ledger.post(
      '/v1/touchpoints',
      aPurchase('sub-4', {
        correlationId: 'checkout-42',
        data: { orderId: 'A-4', total: { amount: 9.5, currency: 'EUR' } },
      }),
    );
    await receiver.waitFor((requests) => requests.length >= 1, 'the purchase');
    const [request] = receiver.requests;
    expect(request!.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
    expect(request!.body).toEqual({
      specversion: '1.0',
      id: purchase.body.eventId,
      source: '/ledger/customers',
      type: 'ledger.customer.PurchaseCompleted',
      subject: 'sub-4',
      time: '2026-11-20T10:00:00.000Z',
      datacontenttype: 'application/json',
      data: { orderId: 'A-4', total: { amountMinor: 950, currency: 'EUR' } },
      position: String(purchase.body.position),
      streamrevision: 0,
      schemaversion: 1,
      recordedat: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      channel: 'web',
      correlationid: 'checkout-42',
    });
  });

  it('retries after 500s with growing pauses, then delivers once and resets the failures', async () => {
    const receiver = await aReceiver((_, index) => (index < 2 ? 500 : 200));
    const subscription = await subscribe(receiver, { eventTypes: ['PurchaseCompleted'] });
    const purchase = await ledger.post('/v1/touchpoints', aPurchase('sub-5'));
    await receiver.waitFor((requests) => requests.length >= 3, 'three attempts');

    expect(receiver.eventIds()).toEqual([
      purchase.body.eventId,
      purchase.body.eventId,
      purchase.body.eventId,
    ]);
    const bodies = new Set(receiver.requests.map((request) => request.rawBody));
    expect(bodies.size).toBe(1);
    const [first, second, third] = receiver.requests.map((request) => request.receivedAt);
    // Pauses of at least half the backoff ceiling: 5 ms after the first failure, 10 ms after the second (a
    // millisecond less for the timers' granularity). An answer is sent after its arrival time was taken.
    expect(second! - first!).toBeGreaterThanOrEqual(4);
    expect(third! - second!).toBeGreaterThanOrEqual(9);
    await waitUntil(async () => (await statusOf(subscription.id)).delivered === 1);
    expect(await statusOf(subscription.id)).toMatchObject({
      delivered: 1,
      lastDelivery: { eventId: purchase.body.eventId, attempts: 3 },
      failures: { consecutive: 0, last: { eventId: purchase.body.eventId, attempt: 2, error: 'HTTP 500' } },
      parked: 0,
    });
  });

  it('parks an event after its last attempt (timeouts too), moves on, and delivers it on a retry', async () => {
    let receiverFixed = false;
    let stuckAttempts = 0;
    // Two 500s, then no answer at all: the last attempt fails by the request timeout.
    const receiver = await aReceiver((request) => {
      if (request.body.data?.orderId !== 'STUCK' || receiverFixed) return 200;
      return ++stuckAttempts < 3 ? 500 : 'hang';
    });
    const subscription = await subscribe(receiver, { eventTypes: ['PurchaseCompleted'] });
    const stuck = await ledger.post(
      '/v1/touchpoints',
      aPurchase('sub-6', { data: { orderId: 'STUCK', total: { amount: 1, currency: 'EUR' } } }),
    );
    const next = await ledger.post('/v1/touchpoints', aPurchase('sub-6'));
    await receiver.waitFor(
      (requests) => requests.some((r) => r.body.eventId === next.body.eventId),
      'the next one',
    );

    expect(receiver.eventIds()).toEqual([
      stuck.body.eventId,
      stuck.body.eventId,
      stuck.body.eventId,
      next.body.eventId,
    ]);
    const parked = await ledger.get(`/v1/subscriptions/${subscription.id}/parked`);
    expect(parked.status).toBe(200);
    expect(parked.body).toEqual({
      subscriptionId: subscription.id,
      count: 1,
      deliveries: [
        {
          subscriptionId: subscription.id,
          position: stuck.body.position,
          eventId: stuck.body.eventId,
          type: 'PurchaseCompleted',
          customerId: 'sub-6',
          attempts: 3,
          error: 'no answer within 1000 ms',
          parkedAt: expect.any(String),
        },
      ],
    });
    await waitUntil(async () => (await statusOf(subscription.id)).delivered === 1);
    expect(await statusOf(subscription.id)).toMatchObject({
      parked: 1,
      delivered: 1,
      position: next.body.position,
    });

    receiverFixed = true;
    const retried = await ledger.post(`/v1/subscriptions/${subscription.id}/parked/retry`, undefined);
    expect(retried.status).toBe(200);
    expect(retried.body).toEqual({
      subscriptionId: subscription.id,
      retried: 1,
      delivered: 1,
      stillParked: 0,
      remaining: 0,
      results: [{ position: stuck.body.position, eventId: stuck.body.eventId, outcome: 'delivered' }],
    });
    expect(receiver.eventIds().slice(-1)).toEqual([stuck.body.eventId]);
    expect((await ledger.get(`/v1/subscriptions/${subscription.id}/parked`)).body.count).toBe(0);
  });

  it('keeps a parked delivery parked, with the new error, when its retry fails again', async () => {
    const receiver = await aReceiver(() => 503);
    const subscription = await subscribe(receiver, { eventTypes: ['PurchaseCompleted'] });
    const purchase = await ledger.post('/v1/touchpoints', aPurchase('sub-7'));
    await waitUntil(async () => (await statusOf(subscription.id)).parked === 1);
    const retried = await ledger.post(`/v1/subscriptions/${subscription.id}/parked/retry`, undefined);
    expect(retried.body).toMatchObject({ retried: 1, delivered: 0, stillParked: 1, remaining: 0 });
    const parked = (await ledger.get(`/v1/subscriptions/${subscription.id}/parked`)).body.deliveries;
    expect(parked).toEqual([
      expect.objectContaining({
        eventId: purchase.body.eventId,
        attempts: 1,
        error: 'HTTP 503',
        retriedAt: expect.any(String),
      }),
    ]);
    expect(receiver.eventIds()).toHaveLength(4);
  });

  it('replays from a position: delivers again everything from there, in order', async () => {
    const receiver = await aReceiver();
    const subscription = await subscribe(receiver, { eventTypes: ['PurchaseCompleted'] });
    const purchases = [];
    for (let index = 0; index < 3; index++)
      purchases.push(await ledger.post('/v1/touchpoints', aPurchase('sub-8')));
    await receiver.waitFor((requests) => requests.length >= 3, 'three purchases');

    const replay = await ledger.post(`/v1/subscriptions/${subscription.id}/replay`, {
      fromPosition: purchases[1]!.body.position,
    });
    expect(replay.status).toBe(202);
    expect(replay.body).toMatchObject({
      subscriptionId: subscription.id,
      fromPosition: purchases[1]!.body.position,
    });
    await receiver.waitFor((requests) => requests.length >= 5, 'two replayed purchases');
    const ids = purchases.map((purchase) => purchase.body.eventId as string);
    expect(receiver.eventIds()).toEqual([ids[0], ids[1], ids[2], ids[1], ids[2]]);
    await waitUntil(
      async () => (await ledger.get(`/v1/subscriptions/${subscription.id}`)).body.replay.applied,
    );

    const forward = await ledger.post(`/v1/subscriptions/${subscription.id}/replay`, {
      fromPosition: purchases[2]!.body.position + 1000,
    });
    expect(forward.status).toBe(422);
    expect(forward.body.errors).toEqual([expect.objectContaining({ field: 'fromPosition' })]);
  });

  it('stops on DELETE: nothing more is delivered, the record stays, replays and retries are refused', async () => {
    const stopping = await aReceiver();
    const staying = await aReceiver();
    const stopped = await subscribe(stopping);
    await subscribe(staying);
    const deleted = await ledger.request('DELETE', `/v1/subscriptions/${stopped.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ id: stopped.id, state: 'stopped', stoppedBy: 'anonymous' });

    const purchase = await ledger.post('/v1/touchpoints', aPurchase('sub-9'));
    await staying.waitFor(
      (requests) => requests.some((r) => r.body.eventId === purchase.body.eventId),
      'the purchase',
    );
    // Longer than a poll of the stored list: a runner left over would have delivered by now.
    await new Promise((resolve) => setTimeout(resolve, FAST_DELIVERY.pollIntervalMs * 4));
    expect(stopping.requests).toHaveLength(0);

    expect((await ledger.get(`/v1/subscriptions/${stopped.id}`)).body.state).toBe('stopped');
    expect((await ledger.request('DELETE', `/v1/subscriptions/${stopped.id}`)).body.state).toBe('stopped');
    const replay = await ledger.post(`/v1/subscriptions/${stopped.id}/replay`, { fromPosition: 1 });
    expect(replay.status).toBe(409);
    expect(replay.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await ledger.post(`/v1/subscriptions/${stopped.id}/parked/retry`, undefined)).status).toBe(409);
  });

  it('follows no redirect, not even within the receiver', async () => {
    const receiver = await aReceiver((request) =>
      request.path === '/hooks/ledger' ? { status: 307, headers: { location: '/hooks/moved' } } : 200,
    );
    const subscription = await subscribe(receiver, { eventTypes: ['PurchaseCompleted'] });
    const purchase = await ledger.post('/v1/touchpoints', aPurchase('sub-10'));
    await receiver.waitFor((requests) => requests.length === 3, 'three attempts');
    await waitUntil(
      async () => (await ledger.get(`/v1/subscriptions/${subscription.id}/parked`)).body.count === 1,
    );

    expect(receiver.requests.map((request) => [request.path, request.body.eventId])).toEqual([
      ['/hooks/ledger', purchase.body.eventId],
      ['/hooks/ledger', purchase.body.eventId],
      ['/hooks/ledger', purchase.body.eventId],
    ]);
    const parked = (await ledger.get(`/v1/subscriptions/${subscription.id}/parked`)).body.deliveries;
    expect(parked).toEqual([
      expect.objectContaining({
        eventId: purchase.body.eventId,
        error: 'HTTP 307: redirects are not followed',
      }),
    ]);
  });

  it.each([
    ['a URL of another scheme', { url: 'ftp://127.0.0.1/hooks' }, 'url'],
    ['no URL at all', { url: 'not a url' }, 'url'],
    ['credentials in the URL', { url: 'http://user:pw@127.0.0.1/hooks' }, 'url'],
    ['an unknown event type', { eventTypes: ['PurchaseCompleted', 'Nope'] }, 'eventTypes'],
    ['an empty type list', { eventTypes: [] }, 'eventTypes'],
    ['an unknown field', { colour: 'blue' }, 'colour'],
    ['an unknown format', { format: 'xml' }, 'format'],
    ['a negative start', { startFrom: -1 }, 'startFrom'],
    ['a start word not known', { startFrom: 'later' }, 'startFrom'],
    ['a start beyond the log head', { startFrom: 10_000_000 }, 'startFrom'],
    ['a short secret', { secret: 'short' }, 'secret'],
    ['personal data as a string', { includePersonalData: 'yes' }, 'includePersonalData'],
    ['no name', { name: undefined }, 'name'],
  ])('refuses %s with 400 problem+json naming the field', async (_, override, field) => {
    const response = await ledger.post('/v1/subscriptions', {
      name: 'bad',
      url: 'http://127.0.0.1:9/hooks',
      ...override,
    });
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body.errors).toEqual([expect.objectContaining({ field })]);
  });

  it.each([
    'http://127.0.0.1:8080/hooks',
    'http://[::1]/hooks',
    'http://0x7f.0.0.1/hooks',
    'http://2130706433/hooks',
    'http://017700000001/hooks',
    'http://127.1/hooks',
    'http://0.0.0.0/hooks',
    'http://[::ffff:127.0.0.1]/hooks',
    'http://[::ffff:10.0.0.1]/hooks',
    'http://169.254.169.254/latest/meta-data',
    'http://10.0.0.1/hooks',
    'http://172.16.5.4/hooks',
    'http://192.168.1.1/hooks',
    'http://100.64.0.1/hooks',
    'http://224.0.0.1/hooks',
    'http://[fc00::1]/hooks',
    'http://[fd12:3456::1]/hooks',
    'http://[fe80::1]/hooks',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://metadata.google.internal./computeMetadata/v1/',
    'http://localhost:3000/hooks',
    'http://api.localhost/hooks',
  ])('refuses the private or special-use target %s with 400 naming url', async (url) => {
    const response = await withoutAllowList.post('/v1/subscriptions', { name: 'probe', url });
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body.errors).toEqual([
      { field: 'url', message: expect.stringContaining('LEDGER_WEBHOOK_ALLOWED_TARGETS') },
    ]);
    expect((await withoutAllowList.get('/v1/subscriptions')).body.subscriptions).toHaveLength(0);
  });

  it('shows a refused connection as a category, not as the network error', async () => {
    // Port 9 (discard) on loopback: nothing listens, so the connection is refused (ECONNREFUSED).
    const subscription = await ledger.post('/v1/subscriptions', {
      name: 'closed port',
      url: 'http://127.0.0.1:9/hooks',
      eventTypes: ['PurchaseCompleted'],
    });
    expect(subscription.status).toBe(201);
    await ledger.post('/v1/touchpoints', aPurchase('sub-closed'));
    await waitUntil(
      async () => (await ledger.get(`/v1/subscriptions/${subscription.body.id}/parked`)).body.count === 1,
    );
    const parked = (await ledger.get(`/v1/subscriptions/${subscription.body.id}/parked`)).body.deliveries;
    expect(parked).toEqual([expect.objectContaining({ error: 'could not connect to the receiver' })]);
    const shown = await ledger.get(`/v1/subscriptions/${subscription.body.id}`);
    expect(shown.body.status.failures.last.error).toBe('could not connect to the receiver');
    expect(JSON.stringify(shown.body)).not.toMatch(/ECONN|EHOST|ENOTFOUND/);
  });

  it('answers 404 problem+json for an unknown id on every endpoint, 400 for a bad replay or page', async () => {
    const unknown = '0190b2a4-0000-7000-8000-000000000000';
    for (const [method, url, body] of [
      ['GET', `/v1/subscriptions/${unknown}`],
      ['DELETE', `/v1/subscriptions/${unknown}`],
      ['GET', `/v1/subscriptions/${unknown}/parked`],
      ['POST', `/v1/subscriptions/${unknown}/replay`, { fromPosition: 1 }],
      ['POST', `/v1/subscriptions/${unknown}/parked/retry`],
    ] as const) {
      const response = await ledger.request(method, url, body);
      expect([url, response.status]).toEqual([url, 404]);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    const receiver = await aReceiver();
    const subscription = await subscribe(receiver);
    for (const body of [undefined, {}, { fromPosition: -1 }, { fromPosition: 1, extra: true }]) {
      const response = await ledger.post(`/v1/subscriptions/${subscription.id}/replay`, body);
      expect(response.status).toBe(400);
    }
    expect((await ledger.get(`/v1/subscriptions/${subscription.id}/parked?limit=0`)).status).toBe(400);
  });

  it('survives a restart: resumes from its checkpoint, acknowledged events are not delivered again', async () => {
    const receiver = await aReceiver();
    const subscription = await subscribe(receiver, { eventTypes: ['PurchaseCompleted'] });
    const before = await ledger.post('/v1/touchpoints', aPurchase('sub-11'));
    await receiver.waitFor((requests) => requests.length >= 1, 'the first purchase');
    // Acknowledged and committed: a restart before the commit would deliver it again, rightly.
    await waitUntil(async () => (await statusOf(subscription.id)).delivered === 1);
    ledger = await ledger.restart();
    const after = await ledger.post('/v1/touchpoints', aPurchase('sub-11'));
    await receiver.waitFor((requests) => requests.length >= 2, 'the second purchase');
    await new Promise((resolve) => setTimeout(resolve, FAST_DELIVERY.pollIntervalMs * 2));
    expect(receiver.eventIds()).toEqual([before.body.eventId, after.body.eventId]);
    await waitUntil(async () => (await statusOf(subscription.id)).delivered === 2);
  });

  async function statusOf(subscriptionId: string) {
    return (await ledger.get(`/v1/subscriptions/${subscriptionId}`)).body.status;
  }
});

describe('outbound subscriptions: admins only', () => {
  const keyOf = (role: Role) => `subscriptions-key-for-the-${role}-role`;
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
  let ledger: LedgerTestApp;
  let receiver: WebhookReceiver;
  let subscriptionId: string;

  beforeAll(async () => {
    ledger = await LedgerTestApp.start({
      subscriptionDelivery: FAST_DELIVERY,
      apiKeys: ROLES.map((role) => ({
        principal: `${role}-person`,
        roles: [role],
        keySha256: sha256(keyOf(role)),
      })),
    });
    receiver = await WebhookReceiver.start();
    const registered = await ledger.post(
      '/v1/subscriptions',
      { name: 'helpdesk', url: receiver.url() },
      { authorization: `Bearer ${keyOf('admin')}` },
    );
    expect(registered.status).toBe(201);
    expect(registered.body.createdBy).toBe('admin-person');
    subscriptionId = registered.body.id;
  });
  afterAll(async () => {
    await ledger.stop();
    await receiver.stop();
  });

  const endpoints = () =>
    [
      ['POST', '/v1/subscriptions', { name: 'x', url: 'http://127.0.0.1:9/' }],
      ['GET', '/v1/subscriptions'],
      ['GET', `/v1/subscriptions/${subscriptionId}`],
      ['GET', `/v1/subscriptions/${subscriptionId}/parked`],
      ['POST', `/v1/subscriptions/${subscriptionId}/replay`, { fromPosition: 0 }],
      ['POST', `/v1/subscriptions/${subscriptionId}/parked/retry`],
      ['DELETE', `/v1/subscriptions/${subscriptionId}`],
    ] as const;

  it.each(ROLES.filter((role) => role !== 'admin'))('refuses the %s role on every endpoint', async (role) => {
    for (const [method, url, body] of endpoints()) {
      const response = await ledger.request(method, url, body, { authorization: `Bearer ${keyOf(role)}` });
      expect([method, url, response.status]).toEqual([method, url, 403]);
    }
  });

  it('refuses a request without a key and serves an admin on every endpoint', async () => {
    for (const [method, url, body] of endpoints()) {
      expect((await ledger.request(method, url, body)).status).toBe(401);
    }
    for (const [method, url, body] of endpoints()) {
      const response = await ledger.request(method, url, body, { authorization: `Bearer ${keyOf('admin')}` });
      expect([method, url, response.status < 300]).toEqual([method, url, true]);
    }
  });
});

describe('outbound subscriptions: registered where nothing delivers, delivered by the process that folds', () => {
  let api: LedgerTestApp;
  let projector: LedgerTestApp;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    api = await LedgerTestApp.start({ subscriptionDelivery: FAST_DELIVERY, runProjections: false });
    // A second composition on the same files, as `ledger project` beside an instance with LEDGER_PROJECTIONS=off.
    projector = await LedgerTestApp.start({ ...api.config, runProjections: true });
    receiver = await WebhookReceiver.start();
  });
  afterAll(async () => {
    await projector.app.close();
    await api.stop();
    await receiver.stop();
  });

  it('picks up a registration and a replay made in another process', async () => {
    const registered = await api.post('/v1/subscriptions', {
      name: 'helpdesk',
      url: receiver.url(),
      eventTypes: ['PurchaseCompleted'],
    });
    expect(registered.status).toBe(201);
    const purchase = await api.post('/v1/touchpoints', aPurchase('sub-12'));
    await receiver.waitFor((requests) => requests.length >= 1, 'the purchase');
    expect(receiver.eventIds()).toEqual([purchase.body.eventId]);

    const replay = await api.post(`/v1/subscriptions/${registered.body.id}/replay`, {
      fromPosition: purchase.body.position,
    });
    expect(replay.status).toBe(202);
    await receiver.waitFor((requests) => requests.length >= 2, 'the replayed purchase');
    expect(receiver.eventIds()).toEqual([purchase.body.eventId, purchase.body.eventId]);
    const read = async () => (await api.get(`/v1/subscriptions/${registered.body.id}`)).body;
    await waitUntil(async () => (await read()).status.delivered === 2);
    const status = await read();
    expect(status).toMatchObject({ replay: { applied: true }, status: { delivered: 2 } });
  });

  it('describes the endpoints and the registration body in OpenAPI', async () => {
    const document = (await api.get('/docs-json')).body;
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        '/v1/subscriptions',
        '/v1/subscriptions/{id}',
        '/v1/subscriptions/{id}/parked',
        '/v1/subscriptions/{id}/replay',
        '/v1/subscriptions/{id}/parked/retry',
      ]),
    );
    expect(Object.keys(document.components.schemas.RegisterSubscriptionDto.properties)).toEqual(
      expect.arrayContaining([
        'name',
        'url',
        'eventTypes',
        'secret',
        'format',
        'includePersonalData',
        'startFrom',
      ]),
    );
  });
});

/** Polls a condition, bounded: the runner commits its progress a moment after the receiver answered. */
async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
