import { QueryBus } from '@nestjs/cqrs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReadProfile } from '../../src/application/customers/read-profile/read-profile.query';
import { OffThreadQueries } from '../../src/interfaces/workers/off-thread-queries';
import { aPurchase } from '../fixtures/touchpoints';
import { LedgerTestApp } from '../support/ledger-app';

/**
 * Heavy reads answered by a real worker thread (issue #22, point 3): the same answers as on the main thread,
 * errors with their status, the generation a rebuild switched to, and reads that survive a worker's death.
 * The worker loads the service's TypeScript through ts-node here, so it takes a few seconds to be ready.
 */
describe('reads answered off the main thread', () => {
  let ledger: LedgerTestApp;
  let offThread: OffThreadQueries;
  let mainThreadReads: jest.SpyInstance;

  const workersReady = async (count: number) => {
    for (let waited = 0; offThread.readyWorkers < count; waited += 100) {
      if (waited > 60_000) throw new Error('the read worker did not start');
      await sleep(100);
    }
  };
  const profileReadsOnMainThread = () =>
    mainThreadReads.mock.calls.filter(([query]) => query instanceof ReadProfile).length;

  beforeAll(async () => {
    ledger = await LedgerTestApp.start({ readWorkers: 1 });
    offThread = ledger.app.get(OffThreadQueries);
    mainThreadReads = jest.spyOn(ledger.app.get(QueryBus), 'execute');
    await ledger.post('/v1/customers', { customerId: 'ada', name: 'Ada', email: 'ada@example.com' });
    await ledger.post('/v1/touchpoints', aPurchase('ada'));
    await ledger.projected();
    await workersReady(1);
  }, 90_000);

  afterAll(() => ledger.stop());

  it("answers a rep's profile from the worker, as the main thread would", async () => {
    const before = profileReadsOnMainThread();
    const offThreadAnswer = await ledger.get('/v1/customers/ada');
    expect(profileReadsOnMainThread()).toBe(before);
    const inThread = await ledger.app.get(QueryBus).execute(new ReadProfile('ada', new Date()));
    expect(offThreadAnswer.status).toBe(200);
    const withoutClock = (profile: Record<string, unknown>) => ({
      ...profile,
      loyalty: undefined,
      segment: undefined,
      predictions: undefined,
    });
    expect(withoutClock(offThreadAnswer.body)).toEqual(withoutClock(JSON.parse(JSON.stringify(inThread))));
    expect(offThreadAnswer.body).toMatchObject({ name: 'Ada', email: 'ada@example.com', purchaseCount: 1 });
  });

  it("keeps a domain error's status: an unknown customer is a 404 problem", async () => {
    const answer = await ledger.get('/v1/customers/nobody');
    expect(answer.status).toBe(404);
    expect(answer.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(answer.body.detail).toMatch(/no events are recorded for customer nobody/);
  });

  it('reads the generation a rebuild switched to, the old one dropped', async () => {
    expect((await ledger.post('/v1/projections/all/rebuild', {})).status).toBe(202);
    await ledger.projected();
    await ledger.post('/v1/touchpoints', aPurchase('ada'));
    await ledger.projected();
    const answer = await ledger.get('/v1/customers/ada');
    expect(answer.status).toBe(200);
    expect(answer.body.purchaseCount).toBe(2);
  });

  it('answers on the main thread while the worker is down, and starts another', async () => {
    const worker = (offThread as unknown as { workers: { thread: { terminate(): Promise<number> } }[] })
      .workers[0]!;
    const reads = [ledger.get('/v1/customers/ada'), ledger.get('/v1/customers/ada')];
    await worker.thread.terminate();
    for (const answer of await Promise.all(reads)) expect(answer.status).toBe(200);
    const before = profileReadsOnMainThread();
    expect((await ledger.get('/v1/customers/ada')).status).toBe(200);
    expect(profileReadsOnMainThread()).toBe(before + 1);
    await workersReady(1);
    expect((await ledger.get('/v1/customers/ada')).status).toBe(200);
    expect(profileReadsOnMainThread()).toBe(before + 1);
  }, 90_000);
});
