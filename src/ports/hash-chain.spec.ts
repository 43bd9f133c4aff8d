import stringify from 'safe-stable-stringify';
import {
  canonicalEvent,
  ChainedEvent,
  chainEvents,
  chainHash,
  ChainWalk,
  GENESIS_HASH,
  verifyChains,
} from './hash-chain';
import { RecordedEvent } from './event-store.port';

const event = {
  eventId: '01a207cb-b41c-730b-8821-98dbe278b4f2',
  type: 'PurchaseCompleted',
  schemaVersion: 1,
  data: { total: { currency: 'EUR', amountMinor: 12050 }, orderId: 'A-17' },
  metadata: { recordedAt: '2026-11-23T10:00:00.000Z', actor: 'alice' },
};

function chained(count: number): RecordedEvent[] {
  const events: RecordedEvent[] = [];
  let prevHash = GENESIS_HASH;
  for (let revision = 0; revision < count; revision++) {
    const hash = chainHash(prevHash, canonicalEvent(event, 'customer-a', revision));
    events.push({
      ...event,
      streamId: 'customer-a',
      streamRevision: revision,
      position: revision + 1,
      prevHash,
      hash,
    });
    prevHash = hash;
  }
  return events;
}

describe('hash chain', () => {
  it('builds the canonical form as sorted-key JSON of the whole event', () => {
    expect(canonicalEvent(event, 'customer-a', 3)).toBe(
      stringify({ ...event, streamId: 'customer-a', streamRevision: 3 }),
    );
  });

  it('chains new events onto a stream, from its start or from its head, as verification recomputes them', async () => {
    const recorded = (rows: readonly ChainedEvent[]): RecordedEvent[] =>
      rows.map((row) => ({
        ...row.event,
        streamId: 'customer-a',
        streamRevision: row.streamRevision,
        position: row.streamRevision + 1,
        prevHash: row.prevHash,
        hash: row.hash,
      }));
    const first = [
      ...chainEvents('customer-a', undefined, [
        event,
        { ...event, eventId: '01a207cb-b41c-730b-8821-98dbe278b4f3' },
      ]),
    ];
    const head = { revision: first[1]!.streamRevision, hash: first[1]!.hash };
    const next = [
      ...chainEvents('customer-a', head, [{ ...event, eventId: '01A207CB-B41C-730B-8821-98DBE278B4F4' }]),
    ];

    expect(first.map((row) => [row.streamRevision, row.prevHash])).toEqual([
      [0, GENESIS_HASH],
      [1, first[0]!.hash],
    ]);
    expect(next[0]).toMatchObject({ streamRevision: 2, prevHash: head.hash });
    expect(next[0]!.event.eventId).toBe('01a207cb-b41c-730b-8821-98dbe278b4f4');
    expect(await verifyChains(recorded([...first, ...next]))).toEqual({ ok: true, streams: 1, events: 3 });
  });

  it('verifies an intact chain', async () => {
    expect(await verifyChains(chained(5))).toEqual({ ok: true, streams: 1, events: 5 });
  });

  it('reports changed content, a broken link and a missing event at the first break', async () => {
    const changed = chained(5);
    changed[3] = { ...changed[3]!, data: { orderId: 'A-18' } };
    expect((await verifyChains(changed)).firstBreak).toMatchObject({
      streamRevision: 3,
      reason: 'hash does not match the event content',
    });

    const relinked = chained(5);
    relinked[2] = { ...relinked[2]!, prevHash: GENESIS_HASH };
    expect((await verifyChains(relinked)).firstBreak).toMatchObject({ streamRevision: 2 });

    const missing = chained(5).filter((e) => e.streamRevision !== 1);
    expect((await verifyChains(missing)).firstBreak).toMatchObject({
      streamRevision: 2,
      reason: expect.stringContaining('missing'),
    });
  });

  it('with dense positions, reports a gap in positions as a removed event, even one that ends a stream', () => {
    const [first, second, third] = chained(3);
    const walk = new ChainWalk(true);

    expect(walk.add(first!)).toBeUndefined();
    expect(walk.add({ ...third!, streamId: 'customer-b', streamRevision: 0 })).toEqual({
      position: 2,
      reason: 'no event at position 2: the log goes on at 3, an event was removed',
    });
    expect(new ChainWalk(false).add(second!)).toMatchObject({ reason: expect.stringContaining('missing') });
    expect(new ChainWalk(true).add({ ...first!, position: 2 })).toMatchObject({ position: 1 });
  });
});
