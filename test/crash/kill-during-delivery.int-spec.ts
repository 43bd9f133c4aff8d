import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyLedgerSignature } from '../../src/application/subscriptions/webhook-signature';
import { aPurchase, aRegistration, aTouchpoint } from '../fixtures/touchpoints';
import { LedgerProcess } from '../support/ledger-process';
import { ReceivedRequest, WebhookReceiver } from '../support/webhook-receiver';

const CUSTOMERS = 20;
const TOUCHPOINTS_PER_CUSTOMER = 14;
/** The receiver holds the answer to this request (counted from 0), and the service is killed meanwhile. */
const KILLED_DURING_REQUEST = 100;

/**
 * Kills the real service with SIGKILL while it delivers a few hundred events to a subscription, in the middle
 * of a request the receiver has not answered, restarts it and checks what the receiver got: every event at
 * least once, the unanswered one again right after the restart, nothing foreign, a duplicate only as the same
 * event (same id, same body), every signature valid, and each customer's events in stream order.
 */
describe('kill -9 during subscription delivery', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ledger-delivery-crash-'));
  const masterKey = randomBytes(32).toString('base64');
  const port = 20000 + Math.floor(Math.random() * 20000);
  let receiver: WebhookReceiver;
  const services: LedgerProcess[] = [];
  afterAll(async () => {
    await Promise.all(services.map((service) => service.kill('SIGKILL')));
    await receiver?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('delivers every event at least once, in order per customer, after a restart', async () => {
    let killNow: (request: ReceivedRequest) => void = () => undefined;
    const unanswered = new Promise<ReceivedRequest>((resolve) => (killNow = resolve));
    receiver = await WebhookReceiver.start((request, index) => {
      if (index !== KILLED_DURING_REQUEST) return 200;
      killNow(request);
      return 'hang';
    });
    const service = await LedgerProcess.start({
      DATA_DIR: dataDir,
      PORT: port,
      LEDGER_MASTER_KEY: masterKey,
      // The receiver listens on loopback: an in-house receiver, allowed by name.
      LEDGER_WEBHOOK_ALLOWED_TARGETS: '127.0.0.1',
    });
    services.push(service);
    const registered = await service.post('/v1/subscriptions', {
      name: 'warehouse',
      url: receiver.url(),
      startFrom: 'beginning',
    });
    expect(registered.status).toBe(201);
    const { secret } = (await registered.json()) as { secret: string };

    const expected = new Set<string>();
    for (let index = 0; index < CUSTOMERS; index++) {
      const response = await service.post('/v1/customers', aRegistration({ customerId: `dc-${index}` }));
      expect(response.status).toBe(201);
      expected.add(((await response.json()) as { eventId: string }).eventId);
    }
    // Customers interleaved in the log, so that per-customer order is not simply log order in blocks.
    const touchpoints = Array.from({ length: TOUCHPOINTS_PER_CUSTOMER }, (_, round) =>
      Array.from({ length: CUSTOMERS }, (__, index) =>
        round % 3 === 2
          ? aPurchase(`dc-${index}`)
          : aTouchpoint(`dc-${index}`, 'browse', { productId: `p-${round}` }),
      ),
    ).flat();
    const batch = await service.post('/v1/touchpoints/batch', { touchpoints });
    expect(batch.status).toBe(201);
    for (const result of ((await batch.json()) as { results: { eventId: string }[] }).results) {
      expected.add(result.eventId);
    }
    expect(expected.size).toBe(CUSTOMERS * (1 + TOUCHPOINTS_PER_CUSTOMER));

    const inFlight = await unanswered;
    await service.kill('SIGKILL');
    const beforeKill = receiver.requests.length;
    expect(beforeKill).toBe(KILLED_DURING_REQUEST + 1);

    const restarted = await LedgerProcess.start({
      DATA_DIR: dataDir,
      PORT: port + 1,
      LEDGER_MASTER_KEY: masterKey,
      // The receiver listens on loopback: an in-house receiver, allowed by name.
      LEDGER_WEBHOOK_ALLOWED_TARGETS: '127.0.0.1',
    });
    services.push(restarted);
    await receiver.waitFor(
      (requests) => new Set(requests.map((request) => request.body.eventId)).size >= expected.size,
      'every event',
      60_000,
    );
    await restarted.kill('SIGTERM');

    const requests = receiver.requests;
    const received = new Set(requests.map((request) => request.body.eventId as string));
    expect([...expected].filter((eventId) => !received.has(eventId))).toEqual([]);
    expect([...received].filter((eventId) => !expected.has(eventId))).toEqual([]);

    // A duplicate is the same event: same id in header and body, same bytes.
    const bodyById = new Map<string, string>();
    for (const request of requests) {
      expect(request.headers['ledger-event-id']).toBe(request.body.eventId);
      const first = bodyById.get(request.body.eventId) ?? request.rawBody;
      expect(request.rawBody).toBe(first);
      bodyById.set(request.body.eventId, first);
      const check = verifyLedgerSignature({
        secret,
        header: request.headers['ledger-signature'] as string,
        body: request.rawBody,
      });
      expect(check.valid).toBe(true);
    }
    // The checkpoint passes each event as it is acknowledged: at most the one in flight comes twice.
    expect(requests.length - received.size).toBeLessThanOrEqual(1);

    // Per customer: each process delivered in stream order, and the first deliveries run 0, 1, 2 ... n-1.
    const beforeRestart = requests.slice(0, beforeKill);
    const afterRestart = requests.slice(beforeKill);
    // Never acknowledged, so delivered again, first thing after the restart.
    expect(afterRestart[0]!.body.eventId).toBe(inFlight.body.eventId);
    for (let index = 0; index < CUSTOMERS; index++) {
      const customerId = `dc-${index}`;
      for (const part of [beforeRestart, afterRestart]) {
        const revisions = revisionsOf(part, customerId);
        expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
        expect(new Set(revisions).size).toBe(revisions.length);
      }
      const firstDeliveries = [...new Set(revisionsOf(requests, customerId))];
      expect(firstDeliveries).toEqual(
        Array.from({ length: 1 + TOUCHPOINTS_PER_CUSTOMER }, (_, revision) => revision),
      );
    }
    expect(requests.some((request) => /Ada|Lovelace|example\.org/.test(request.rawBody))).toBe(false);
  });
});

function revisionsOf(requests: readonly ReceivedRequest[], customerId: string): number[] {
  return requests
    .filter((request) => request.body.customerId === customerId)
    .map((request) => request.body.streamRevision as number);
}
