import { createHash } from 'node:crypto';
import { Role } from '../../src/config/api-keys';
import { EVENT_STORE, EventStore, SubscribeOptions } from '../../src/ports/event-store.port';
import { aRegistration } from '../fixtures/touchpoints';
import { LedgerTestApp } from '../support/ledger-app';

/** The server side of the service-rep page: its files, and the live-update stream it follows. */
const keyOf = (role: Role) => `page-test-key-for-the-${role}-role`;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const auth = (role: Role) => ({ authorization: `Bearer ${keyOf(role)}` });

interface LiveEvent {
  type: string;
  data: { eventId?: string; type?: string; position: number };
}

/** Reads server-sent events from a fetch() body, as the page does. */
function eventReader(body: ReadableStream<Uint8Array>) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  return async function next(): Promise<LiveEvent | undefined> {
    for (;;) {
      const blocks = buffer.split('\n\n');
      while (blocks.length > 1) {
        const block = blocks.shift()!;
        buffer = blocks.join('\n\n');
        const type = /^event: (.+)$/m.exec(block)?.[1];
        const data = /^data: (.+)$/m.exec(block)?.[1];
        if (type && data) return { type, data: JSON.parse(data) };
      }
      const { value, done } = await reader.read();
      if (done) return undefined;
      buffer += value;
    }
  };
}

describe('service-rep page: files and live updates', () => {
  let ledger: LedgerTestApp;
  let baseUrl: string;
  /** Store subscriptions opened by the live endpoint and not yet ended. */
  let openSubscriptions = 0;

  beforeAll(async () => {
    ledger = await LedgerTestApp.start({
      apiKeys: (['rep', 'ingest', 'analyst'] as const).map((role) => ({
        principal: `${role}-person`,
        roles: [role],
        keySha256: sha256(keyOf(role)),
      })),
    });
    const store = ledger.app.get<EventStore>(EVENT_STORE);
    const subscribe = store.subscribeToAll.bind(store);
    jest.spyOn(store, 'subscribeToAll').mockImplementation(async function* (options?: SubscribeOptions) {
      openSubscriptions++;
      try {
        yield* subscribe(options);
      } finally {
        openSubscriptions--;
      }
    });
    await ledger.app.listen(0, '127.0.0.1');
    baseUrl = await ledger.app.getUrl();
    baseUrl = baseUrl.replace('[::1]', '127.0.0.1');
  });
  afterAll(async () => {
    await ledger?.stop();
  });

  async function waitFor(condition: () => boolean, what: string): Promise<void> {
    for (const deadline = Date.now() + 5000; !condition();) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it('serves the page without a key, with a strict content security policy, and nothing but its files', async () => {
    const page = await ledger.app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.body).toContain('<script type="module" src="/app.js"></script>');

    for (const [file, type] of [
      ['app.js', 'text/javascript; charset=utf-8'],
      ['api.js', 'text/javascript; charset=utf-8'],
      ['render.js', 'text/javascript; charset=utf-8'],
      ['app.css', 'text/css; charset=utf-8'],
    ]) {
      const response = await ledger.app.inject({ method: 'GET', url: `/${file}` });
      expect({ file, status: response.statusCode, type: response.headers['content-type'] }).toEqual({
        file,
        status: 200,
        type,
      });
    }
    for (const url of ['/index.html', '/nope.js', '/..%2Fweb-page.controller.ts']) {
      expect((await ledger.app.inject({ method: 'GET', url })).statusCode).toBe(404);
    }
    expect((await ledger.app.inject({ method: 'GET', url: '/health' })).json().status).toBe('ok');
  });

  it('documents the live endpoint in OpenAPI, and not the page', async () => {
    const document = (await ledger.app.inject({ method: 'GET', url: '/docs-json' })).json();
    expect(document.paths['/v1/customers/{id}/live']).toBeDefined();
    expect(document.paths['/']).toBeUndefined();
    expect(document.paths['/{file}']).toBeUndefined();
  });

  it('lets only the rep and auditor roles follow a customer, over real HTTP', async () => {
    // Over a real socket: Fastify's inject() has no socket options, which Nest's event stream sets.
    const live = (id: string, headers: Record<string, string> = {}) =>
      fetch(`${baseUrl}/v1/customers/${id}/live`, { headers });
    const none = await live('c-1');
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await live('c-1', auth('analyst'))).status).toBe(403);
    const badId = await live('-bad', auth('rep'));
    expect(badId.status).toBe(400);
    expect(((await badId.json()) as { errors: unknown }).errors).toEqual([
      { field: 'customerId', message: expect.any(String) },
    ]);
  });

  it("streams the customer's new events only, and ends the store subscription when the client leaves", async () => {
    await ledger.post('/v1/customers', aRegistration({ customerId: 'live-1' }), auth('ingest'));
    const leave = new AbortController();
    const response = await fetch(`${baseUrl}/v1/customers/live-1/live`, {
      headers: { ...auth('rep'), accept: 'text/event-stream' },
      signal: leave.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const next = eventReader(response.body!);
    const ready = await next();
    expect(ready).toEqual({ type: 'ready', data: { position: expect.any(Number) } });
    expect(openSubscriptions).toBe(1);

    const other = await ledger.post(
      '/v1/touchpoints',
      { customerId: 'live-2', type: 'complaint', data: { complaintId: 'X', severity: 'low' } },
      auth('ingest'),
    );
    const mine = await ledger.post(
      '/v1/touchpoints',
      { customerId: 'live-1', type: 'complaint', data: { complaintId: 'Y', severity: 'high' } },
      auth('ingest'),
    );
    expect([other.status, mine.status]).toEqual([201, 201]);
    expect(await next()).toEqual({
      type: 'appended',
      data: { eventId: mine.body.eventId, type: 'ComplaintFiled', position: mine.body.position },
    });
    expect(mine.body.position).toBeGreaterThan(ready!.data.position);

    leave.abort();
    await waitFor(() => openSubscriptions === 0, 'the store subscription to end');
  });

  it('ends open streams when the service stops, so it can stop', async () => {
    const response = await fetch(`${baseUrl}/v1/customers/live-1/live`, { headers: auth('rep') });
    const next = eventReader(response.body!);
    expect((await next())?.type).toBe('ready');
    const stopped = ledger.stop();
    expect(await next()).toBeUndefined();
    await stopped;
    expect(openSubscriptions).toBe(0);
    ledger = undefined as unknown as LedgerTestApp;
  });
});
