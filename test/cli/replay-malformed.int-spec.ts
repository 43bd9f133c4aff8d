import { loyaltyProjection } from '../../projections/loyalty.projection';
import { customerAsOf } from '../../src/interfaces/cli/replay';
import { runWhatIf } from '../../src/interfaces/cli/what-if';
import { EventStore } from '../../src/ports/event-store.port';
import { createSqliteEventStore } from '../../src/adapters/sqlite/sqlite-event-store';
import { createSqliteReadStore } from '../../src/adapters/sqlite/sqlite-read-store';
import { aNewEvent } from '../support/events';

/** Folds outside the runner (as-of, what-if) leave a malformed event out and say so, as the runner parks it. */
describe('in-memory folds over a log holding a malformed event', () => {
  let store: EventStore;
  const purchase = (orderId: string, occurredAt: string) =>
    aNewEvent({
      type: 'PurchaseCompleted',
      data: { orderId, total: { amountMinor: 5000, currency: 'EUR' } },
      metadata: { occurredAt, recordedAt: '2026-11-01T10:00:01.000Z', actor: 'test' },
    });

  beforeAll(async () => {
    store = createSqliteEventStore({ file: ':memory:' });
    await store.append([
      {
        streamId: 'customer-x1',
        expectedRevision: 'any',
        events: [
          purchase('o-1', '2026-10-01T10:00:00.000Z'),
          purchase('o-bad', 'garbage'),
          purchase('o-2', '2026-10-02T10:00:00.000Z'),
        ],
      },
    ]);
  });
  afterAll(() => store.close());

  it('as-of folds the good events and lists the malformed one', async () => {
    const asOf = await customerAsOf(store, 'x1', '2026-12-01T00:00:00.000Z', 'recordedAt', 'EUR');

    expect(asOf.events).toBe(2);
    expect(asOf.skipped).toEqual([
      { position: 2, eventId: expect.any(String), error: expect.stringContaining('occurredAt') },
    ]);
    expect(asOf.loyalty).toMatchObject({ components: { purchasesInWindow: 2 } });
  });

  it('what-if does the same, and writes documents under pseudonyms', async () => {
    const written: { id: string; doc: object }[] = [];
    const report = await runWhatIf(
      { projection: loyaltyProjection },
      store,
      { reads: createSqliteReadStore(':memory:') },
      {},
      { asOf: '2026-11-01T00:00:00.000Z', ledgerCurrency: 'EUR' },
      { pseudonymOf: (customerId) => `p-of-${customerId}`, consentGiven: async () => true },
      (id, doc) => written.push({ id, doc }),
    );

    expect(report).toMatchObject({ events: 2, documents: 1, skipped: [{ position: 2 }] });
    expect(written).toEqual([{ id: 'p-of-x1', doc: expect.objectContaining({ customerId: 'p-of-x1' }) }]);
  });

  it('what-if leaves out customers whose consent does not hold, and says how many', async () => {
    const report = await runWhatIf(
      { projection: loyaltyProjection },
      store,
      { reads: createSqliteReadStore(':memory:') },
      {},
      { asOf: '2026-11-01T00:00:00.000Z', ledgerCurrency: 'EUR' },
      { pseudonymOf: (customerId) => `p-of-${customerId}`, consentGiven: async () => false },
    );

    expect(report).toMatchObject({ documents: 0, leftOutWithoutConsent: 1 });
  });
});
