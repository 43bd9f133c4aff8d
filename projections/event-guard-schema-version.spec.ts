import { toProjectedEvent, toProjectedEventOrSkip, SkippedEvent } from './catalog';
import { findProblem, MalformedEventError, StoredEvent } from './event-guard';

/** A ProductBrowsed as the store hands it over, in the given schema version. */
function browsed(schemaVersion: number, data: Record<string, unknown>): StoredEvent {
  return {
    eventId: '0190c8a4-7e1a-7000-8000-000000000009',
    streamId: 'customer-c-ada',
    streamRevision: 0,
    position: 9,
    type: 'ProductBrowsed',
    schemaVersion,
    data,
    metadata: {
      occurredAt: '2026-11-20T10:00:00.000Z',
      recordedAt: '2026-11-20T10:00:01.000Z',
      actor: 'api-key:ingest-1',
    },
  };
}

describe('event guard: schema versions', () => {
  it('refuses an event of a newer schema version than the code knows, saying so', () => {
    expect(findProblem(browsed(3, { product: { id: 'p-1' } }))).toEqual({
      path: 'schemaVersion',
      reason:
        'is 3, newer than the ProductBrowsed schema this ledger knows (2): a newer version of the ledger wrote it; upgrade this one, then retry the parked event',
    });
  });

  it.each([0, -1, 1.5, Number.NaN, undefined])('refuses schema version %p', (schemaVersion) => {
    expect(findProblem(browsed(schemaVersion as number, { product: { id: 'p-1' } }))?.path).toBe(
      'schemaVersion',
    );
  });

  it('refuses an old version handed to it directly: events are upcast before they are checked', () => {
    expect(findProblem(browsed(1, { productId: 'p-1' }))).toMatchObject({
      path: 'schemaVersion',
      reason: expect.stringContaining('is 1, older than ProductBrowsed'),
    });
  });

  it('projects a v1 event upcast (toProjectedEvent upcasts, whichever store it came from)', () => {
    expect(
      toProjectedEvent(browsed(1, { productId: 'p-1', category: 'garden', url: 'https://s.example/p-1' })),
    ).toMatchObject({
      type: 'ProductBrowsed',
      data: { product: { id: 'p-1', category: 'garden' }, page: { url: 'https://s.example/p-1' } },
    });
  });

  it('throws MalformedEventError for a newer version (the runner parks it), and an in-memory fold skips it', () => {
    const future = browsed(3, { products: [{ id: 'p-1' }] });
    expect(() => toProjectedEvent(future)).toThrow(MalformedEventError);
    const skipped: SkippedEvent[] = [];
    expect(toProjectedEventOrSkip(future, skipped)).toBeUndefined();
    expect(skipped).toEqual([
      {
        position: 9,
        eventId: future.eventId,
        error: expect.stringContaining(
          'malformed ProductBrowsed event at position 9: schemaVersion is 3, newer',
        ),
      },
    ]);
  });
});
