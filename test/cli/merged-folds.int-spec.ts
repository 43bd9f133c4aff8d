import { loyaltyProjection, LoyaltyFacts } from '../../projections/loyalty.projection';
import { customerAsOf } from '../../src/interfaces/cli/replay';
import { runWhatIf } from '../../src/interfaces/cli/what-if';
import { EventStore, NewEvent } from '../../src/ports/event-store.port';
import { createSqliteEventStore } from '../../src/adapters/sqlite/sqlite-event-store';
import { createSqliteReadStore } from '../../src/adapters/sqlite/sqlite-read-store';
import { aNewEvent } from '../support/events';

/** Folds outside the runner (as-of, what-if) see merges as the live read models do. */
describe('in-memory folds over merged customers', () => {
  let store: EventStore;
  const at = (day: string) => ({
    occurredAt: `2026-10-${day}T10:00:00.000Z`,
    recordedAt: `2026-10-${day}T10:00:01.000Z`,
    actor: 'test',
  });
  const event = (type: string, data: Record<string, unknown>, day: string): NewEvent =>
    aNewEvent({ type, data, metadata: at(day) });
  const purchase = (orderId: string, day: string) =>
    event('PurchaseCompleted', { orderId, total: { amountMinor: 5000, currency: 'EUR' } }, day);
  const append = (streamId: string, ...events: NewEvent[]) =>
    store.append([{ streamId, expectedRevision: 'any', events }]);

  /** Both events of a merge, appended together as the ledger does. */
  const mergeRecords = (survivorId: string, duplicateId: string, day: string) =>
    store.append([
      {
        streamId: `customer-${duplicateId}`,
        expectedRevision: 'any',
        events: [event('CustomerMergedInto', { survivorId }, day)],
      },
      {
        streamId: `customer-${survivorId}`,
        expectedRevision: 'any',
        events: [event('CustomerMerged', { duplicateId }, day)],
      },
    ]);

  beforeAll(async () => {
    store = createSqliteEventStore({ file: ':memory:' });
    await append('customer-anonymous:v1', event('ProductBrowsed', { product: { id: 'p-1' } }, '01'));
    await append('customer-s', purchase('o-1', '02'));
    await append('customer-d', purchase('o-2', '03'));
    // The visitor is identified as d, then d turns out to be a duplicate of s.
    await mergeRecords('d', 'anonymous:v1', '04');
    await mergeRecords('s', 'd', '10');
  });
  afterAll(() => store.close());

  it('as-of includes the records merged by the instant asked, and not those merged later', async () => {
    const before = await customerAsOf(store, 's', '2026-10-05T00:00:00.000Z', 'occurredAt', 'EUR');
    const after = await customerAsOf(store, 's', '2026-10-11T00:00:00.000Z', 'occurredAt', 'EUR');

    expect(before.loyalty).toMatchObject({ components: { purchasesInWindow: 1 } });
    expect(after.loyalty).toMatchObject({ components: { purchasesInWindow: 2 } });
    expect(after.summary).toMatchObject({
      firstSeenAt: '2026-10-01T10:00:00.000Z',
      mergedFrom: ['anonymous:v1', 'd'],
    });
  });

  it('what-if folds the merged records into the survivor and leaves no document for them', async () => {
    const written = new Map<string, LoyaltyFacts>();
    const report = await runWhatIf(
      { projection: loyaltyProjection },
      store,
      { reads: createSqliteReadStore(':memory:') },
      {},
      { asOf: '2026-11-01T00:00:00.000Z', ledgerCurrency: 'EUR' },
      { pseudonymOf: (customerId) => `p-of-${customerId}`, consentGiven: async () => true },
      (id, doc) => written.set(id, doc as LoyaltyFacts),
    );

    expect(report.documents).toBe(1);
    expect([...written.keys()]).toEqual(['p-of-s']);
    expect(written.get('p-of-s')!.purchases.map((purchase) => purchase.at)).toEqual([
      '2026-10-02T10:00:00.000Z',
      '2026-10-03T10:00:00.000Z',
    ]);
  });
});
