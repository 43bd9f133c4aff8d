import { createHash, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { FAILED_AUTHENTICATION_LIMIT } from '../../src/interfaces/http/failed-authentications';
import { aRegistration } from '../fixtures/touchpoints';
import { LedgerTestApp } from '../support/ledger-app';

const REP_KEY = 'a-rep-key-of-enough-length-0123456789';
const AUDITOR_KEY = 'an-auditor-key-of-enough-length-0123456789';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('HTTP hygiene', () => {
  let ledger: LedgerTestApp;
  let app: NestFastifyApplication;
  const logLines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    // A logger the test reads: what failed authentications leave in the log.
    const logStream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    ledger = await LedgerTestApp.start(
      {
        apiKeys: [
          { principal: 'rep-person', roles: ['rep'], keySha256: sha256(REP_KEY) },
          { principal: 'auditor-person', roles: ['auditor'], keySha256: sha256(AUDITOR_KEY) },
        ],
      },
      pino({ level: 'warn' }, logStream),
    );
    app = ledger.app;
  });
  afterAll(() => ledger.stop());

  const rep = { authorization: `Bearer ${REP_KEY}` };

  it('answers 401 with a WWW-Authenticate challenge, and logs the failure without the key', async () => {
    const none = await ledger.request('GET', '/v1/customers/nobody', undefined, {});
    const unknownKey = 'an-unknown-key-that-must-not-be-logged-42';
    const unknown = await ledger.request('GET', '/v1/customers/nobody', undefined, {
      authorization: `Bearer ${unknownKey}`,
    });

    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="customer-interaction-ledger"');
    expect(none.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(unknown.status).toBe(401);
    expect(unknown.headers['www-authenticate']).toBe(
      'Bearer realm="customer-interaction-ledger", error="invalid_token"',
    );
    const failures = logLines.filter((line) => line.msg === 'authentication failed');
    expect(failures).toEqual([
      expect.objectContaining({ clientAddress: '127.0.0.1', route: '/v1/customers/:id', reason: 'no key' }),
      expect.objectContaining({
        clientAddress: '127.0.0.1',
        route: '/v1/customers/:id',
        reason: 'unknown key',
      }),
    ]);
    expect(JSON.stringify(logLines)).not.toContain(unknownKey);
  });

  it('makes an address that keeps failing wait (429 with Retry-After), whatever key it then brings', async () => {
    const attacker = '203.0.113.50';
    const attempt = (authorization: string) =>
      app.inject({
        method: 'GET',
        url: '/v1/customers/nobody',
        remoteAddress: attacker,
        headers: { authorization },
      });
    for (let i = 0; i < FAILED_AUTHENTICATION_LIMIT; i++) {
      expect((await attempt(`Bearer guess-${i}-0123456789abcdef`)).statusCode).toBe(401);
    }

    const limited = await attempt('Bearer guess-again-0123456789abcdef');
    const withTheRightKey = await attempt(`Bearer ${REP_KEY}`);
    const elsewhere = await app.inject({
      method: 'GET',
      url: '/v1/customers/nobody',
      remoteAddress: '198.51.100.20',
      headers: rep,
    });

    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.json()).toMatchObject({ status: 429, title: expect.stringContaining('retry in') });
    expect(withTheRightKey.statusCode).toBe(429);
    expect(elsewhere.statusCode).toBe(404);
  });

  it('marks every answer no-store and nosniff: personal data stays out of caches', async () => {
    const customerId = `h-${randomUUID().slice(0, 8)}`;
    const created = await ledger.post('/v1/customers', aRegistration({ customerId }), rep);
    await ledger.projected();
    const auditor = { authorization: `Bearer ${AUDITOR_KEY}` };
    const answers = [
      created,
      await ledger.request('GET', `/v1/customers/${customerId}`, undefined, rep),
      await ledger.request('GET', `/v1/customers/${customerId}/events`, undefined, auditor),
      await ledger.request('GET', `/v1/customers/${customerId}/export`, undefined, auditor),
      await ledger.request('GET', `/v1/audit/customers/${customerId}`, undefined, auditor),
      await ledger.request('GET', '/v1/customers/nobody', undefined, rep),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([201, 200, 200, 200, 200, 404]);
    for (const answer of answers) {
      expect(answer.headers['cache-control']).toBe('no-store');
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('serves /docs with a content security policy that forbids framing', async () => {
    const docs = await app.inject({ method: 'GET', url: '/docs' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    expect(docs.headers['content-security-policy']).toMatch(/script-src 'self';/);
    expect(docs.headers['x-content-type-options']).toBe('nosniff');
    // Swagger UI runs from its own files only: an inline script would be blocked by the policy.
    expect(docs.body).not.toMatch(/<script>/);
  });

  it('answers headers over the size limit with 431 problem+json', async () => {
    // Node's HTTP parser refuses the headers before Fastify's inject() path would see them: a real socket.
    await app.listen(0, '127.0.0.1');
    const port = (app.getHttpServer().address() as AddressInfo).port;
    const answer = await new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
      const sent = httpRequest(
        { port, host: '127.0.0.1', path: '/health', headers: { 'x-padding': 'x'.repeat(20_000) } },
        (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () =>
            resolve({ status: response.statusCode!, type: String(response.headers['content-type']), body }),
          );
        },
      );
      sent.on('error', reject);
      sent.end();
    });
    expect(answer.status).toBe(431);
    expect(answer.type).toBe('application/problem+json');
    expect(JSON.parse(answer.body)).toEqual({
      type: 'about:blank',
      title: 'Request headers larger than the server accepts',
      status: 431,
    });
  });
});
