import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aPurchase, aRegistration, aTouchpoint } from '../fixtures/touchpoints';
import { runLedgerCli } from '../support/ledger-cli';
import { LedgerProcess } from '../support/ledger-process';
import { WebhookReceiver } from '../support/webhook-receiver';

/**
 * With LEDGER_PROJECTIONS=off the service registers subscriptions but does not deliver; `ledger project`
 * delivers them, and no other command does (it would deliver beside the projector).
 */
describe('ledger project delivers outbound subscriptions', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ledger-project-delivery-'));
  // The receiver listens on loopback: an in-house receiver, allowed as such for every process.
  const env = {
    DATA_DIR: dataDir,
    LEDGER_MASTER_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'warn',
    LEDGER_WEBHOOK_ALLOWED_TARGETS: '127.0.0.1',
  };
  let service: LedgerProcess | undefined;
  let receiver: WebhookReceiver;
  afterAll(async () => {
    await service?.kill('SIGKILL');
    await receiver?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('delivers from `project` only, never from a short command or the service that does not fold', async () => {
    receiver = await WebhookReceiver.start();
    service = await LedgerProcess.start({
      DATA_DIR: dataDir,
      PORT: 20000 + Math.floor(Math.random() * 20000),
      LEDGER_MASTER_KEY: env.LEDGER_MASTER_KEY,
      LEDGER_PROJECTIONS: 'off',
      LEDGER_WEBHOOK_ALLOWED_TARGETS: env.LEDGER_WEBHOOK_ALLOWED_TARGETS,
    });
    const registered = await service.post('/v1/subscriptions', {
      name: 'warehouse',
      url: receiver.url(),
      startFrom: 'beginning',
      eventTypes: ['CustomerRegistered', 'PurchaseCompleted'],
    });
    expect(registered.status).toBe(201);
    const eventIds: string[] = [];
    for (const response of [
      await service.post('/v1/customers', aRegistration({ customerId: 'pd-1' })),
      await service.post('/v1/touchpoints', aPurchase('pd-1')),
    ]) {
      expect(response.status).toBe(201);
      eventIds.push(((await response.json()) as { eventId: string }).eventId);
    }

    // Browsing, which the subscription passes over but a command that folds must fold first: time enough for
    // a runner started by such a command to deliver (6,000 events: a mistake here was caught 3 times in 3).
    for (let batch = 0; batch < 6; batch++) {
      const touchpoints = Array.from({ length: 1000 }, (_, index) =>
        aTouchpoint('pd-1', 'browse', { productId: `p-${batch}-${index}` }),
      );
      expect((await service.post('/v1/touchpoints/batch', { touchpoints })).status).toBe(201);
    }

    // A command that folds (to retry parked projection events) but must not deliver.
    const retried = await runLedgerCli(env, ['projections', 'retry']);
    expect(retried.code).toBe(0);
    expect(receiver.requests).toHaveLength(0);

    const projected = runLedgerCli(env, ['project'], (child) => {
      void receiver
        .waitFor((requests) => requests.length >= 2, 'both events', 30_000)
        // Stopped either way: the assertions below say what was missing.
        .catch(() => undefined)
        .then(() => child.kill('SIGTERM'));
    });
    const run = await projected;
    expect(run.stderr).toContain('delivering subscriptions');
    expect(receiver.eventIds()).toEqual(eventIds);
  });
});
