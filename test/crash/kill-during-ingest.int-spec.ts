import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteEventStore } from '../../src/adapters/sqlite/sqlite-event-store';
import { verifyChains } from '../../src/ports/hash-chain';
import { LedgerProcess } from '../support/ledger-process';
import { aPurchase, aTouchpoint } from '../fixtures/touchpoints';

/**
 * Kills the real service with SIGKILL while 16 clients are ingesting, restarts it and checks that every
 * acknowledged event is stored exactly once, the chains verify, and resending everything (acknowledged or
 * not) with the same event ids double-counts nothing.
 */
describe('kill -9 during ingest', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ledger-crash-'));
  const masterKey = randomBytes(32).toString('base64');
  const port = 20000 + Math.floor(Math.random() * 20000);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('loses no acknowledged event and double-counts nothing', async () => {
    const service = await LedgerProcess.start({
      DATA_DIR: dataDir,
      PORT: port,
      LEDGER_MASTER_KEY: masterKey,
    });
    const sent: { path: string; body: unknown; eventIds: string[] }[] = [];
    const acknowledged = new Set<string>();
    let stop = false;

    const client = async (clientIndex: number) => {
      for (let round = 0; !stop; round++) {
        const customerId = `crash-${clientIndex}-${round % 7}`;
        const eventIds = Array.from({ length: round % 4 === 0 ? 20 : 1 }, () => randomUUID());
        const request =
          eventIds.length > 1
            ? {
                path: '/v1/touchpoints/batch',
                body: {
                  touchpoints: eventIds.map((eventId, i) =>
                    aTouchpoint(customerId, 'browse', { productId: `p-${i}` }, { eventId }),
                  ),
                },
                eventIds,
              }
            : { path: '/v1/touchpoints', body: aPurchase(customerId, { eventId: eventIds[0] }), eventIds };
        sent.push(request);
        try {
          const response = await service.post(request.path, request.body);
          if (response.status === 201) request.eventIds.forEach((id) => acknowledged.add(id));
        } catch {
          return; // the connection died with the service
        }
      }
    };
    const clients = Array.from({ length: 16 }, (_, index) => client(index));
    while (acknowledged.size < 2000) await new Promise((resolve) => setTimeout(resolve, 20));
    await service.kill('SIGKILL');
    stop = true;
    await Promise.all(clients);

    const store = createSqliteEventStore({ file: join(dataDir, 'events.db') });
    const stored = await store.readAll({ maxCount: 1_000_000 });
    await store.close();
    const storedIds = stored.map((event) => event.eventId);
    expect(new Set(storedIds).size).toBe(storedIds.length);
    const storedSet = new Set(storedIds);
    expect([...acknowledged].filter((id) => !storedSet.has(id))).toEqual([]);
    expect(await verifyChains(stored)).toMatchObject({ ok: true });

    const restarted = await LedgerProcess.start({
      DATA_DIR: dataDir,
      PORT: port + 1,
      LEDGER_MASTER_KEY: masterKey,
    });
    for (const request of sent) {
      const response = await restarted.post(request.path, request.body);
      expect([200, 201]).toContain(response.status);
    }
    await restarted.kill('SIGTERM');

    const reopened = createSqliteEventStore({ file: join(dataDir, 'events.db') });
    const final = await reopened.readAll({ maxCount: 1_000_000 });
    await reopened.close();
    const sentIds = new Set(sent.flatMap((request) => request.eventIds));
    expect(final).toHaveLength(sentIds.size);
    expect(new Set(final.map((event) => event.eventId))).toEqual(sentIds);
    expect(await verifyChains(final)).toMatchObject({ ok: true });
  });
});
