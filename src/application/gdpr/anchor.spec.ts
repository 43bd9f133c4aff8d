import { createPublicKey, createPrivateKey, hash } from 'node:crypto';
import {
  Anchor,
  AnchorCheck,
  anchorKeyId,
  anchorSignatureProblem,
  anchorText,
  FingerprintedEvent,
  generateAnchorKeyPair,
  LogFingerprint,
  parseAnchor,
  signAnchor,
} from './anchor';
import { ChainBreak } from '../../ports/hash-chain';

const signer = generateAnchorKeyPair();
const privateKey = createPrivateKey(signer.privateKeyPem);
const publicKey = createPublicKey(signer.publicKeyPem);
const createdAt = '2026-11-23T10:00:00.000Z';

/** A log from stream ids in position order: revisions count up per stream, hashes stand in for content. */
function aLog(streamIds: string[], content = 'original'): FingerprintedEvent[] {
  const revisions = new Map<string, number>();
  return streamIds.map((streamId, index) => {
    const streamRevision = (revisions.get(streamId) ?? -1) + 1;
    revisions.set(streamId, streamRevision);
    return {
      position: index + 1,
      streamId,
      streamRevision,
      hash: hash('sha256', `${content}:${streamId}:${streamRevision}`, 'hex'),
    };
  });
}

function anchorOf(events: FingerprintedEvent[], checkpointInterval = 2, key = privateKey): Anchor {
  const fingerprint = new LogFingerprint(checkpointInterval);
  events.forEach((event) => fingerprint.add(event));
  return signAnchor(fingerprint, key, createdAt);
}

/** What AnchorCheck says about a walk of these events against the anchor. */
function differenceOf(anchor: Anchor, walked: FingerprintedEvent[]): ChainBreak | undefined {
  const check = new AnchorCheck(anchor);
  for (const event of walked) {
    const difference = check.add(event);
    if (difference) return difference;
  }
  return check.finish();
}

const log = aLog(['customer-a', 'customer-b', 'customer-a', 'customer-c', 'customer-b', 'customer-a']);

describe('anchor', () => {
  it('states the position, counts, sorted heads and a digest every checkpoint interval, signed', () => {
    const anchor = anchorOf(log);

    expect(anchor.statement).toMatchObject({
      format: 'customer-interaction-ledger/anchor/v1',
      createdAt,
      position: 6,
      events: 6,
      streams: 3,
      checkpointInterval: 2,
      keyId: signer.keyId,
    });
    expect(anchor.heads).toEqual([
      ['customer-a', 2, 6, log[5]!.hash],
      ['customer-b', 1, 5, log[4]!.hash],
      ['customer-c', 0, 4, log[3]!.hash],
    ]);
    expect(anchor.checkpoints.map(([events, position]) => [events, position])).toEqual([
      [2, 2],
      [4, 4],
      [6, 6],
    ]);
    expect(anchor.checkpoints[2]![2]).toBe(anchor.statement.logDigest);
    expect(anchorSignatureProblem(anchor, publicKey)).toBeUndefined();
  });

  it('digests the order of the log, not only its heads', () => {
    const swapped = [log[1]!, log[0]!, ...log.slice(2)].map((event, index) => ({
      ...event,
      position: index + 1,
    }));

    expect(anchorOf(swapped).statement.logDigest).not.toBe(anchorOf(log).statement.logDigest);
    expect(anchorOf(swapped).statement.headsDigest).toBe(anchorOf(log).statement.headsDigest);
  });

  it('survives its own text form, written in pieces', () => {
    const anchor = anchorOf(log);
    const text = [...anchorText(anchor)].join('');

    expect(parseAnchor(text)).toEqual(anchor);
    expect(() => parseAnchor(text.slice(0, text.length / 2))).toThrow(/not a ledger anchor: .*incomplete/);
    expect(() => parseAnchor('{"statement":{"format":"other"}}')).toThrow(/format is not/);
  });

  it('is refused with another public key, an altered statement or altered lists', () => {
    const anchor = anchorOf(log);
    const otherKey = createPublicKey(generateAnchorKeyPair().publicKeyPem);
    const forger = createPrivateKey(generateAnchorKeyPair().privateKeyPem);

    expect(anchorSignatureProblem(anchor, otherKey)).toBe(
      `the anchor was signed by key ${signer.keyId}, not by the given public key ${anchorKeyId(otherKey)}`,
    );
    // A forger signing with their own key cannot pass it off under the real signer's key id.
    const forged = anchorOf(log, 2, forger);
    expect(anchorSignatureProblem(forged, publicKey)).toMatch(/signed by key .*not by the given public key/);
    const claimed = { ...forged, statement: { ...forged.statement, keyId: signer.keyId } };
    expect(anchorSignatureProblem(claimed, publicKey)).toMatch(/signature does not verify/);
    const moved = { ...anchor, statement: { ...anchor.statement, position: 5 } };
    expect(anchorSignatureProblem(moved, publicKey)).toMatch(/signature does not verify/);
    const relabelled = { ...anchor, signature: anchorOf(log.slice(0, 5)).signature };
    expect(anchorSignatureProblem(relabelled, publicKey)).toMatch(/signature does not verify/);
    const trimmedHeads = { ...anchor, heads: anchor.heads.slice(1) };
    expect(anchorSignatureProblem(trimmedHeads, publicKey)).toMatch(/stream heads do not match/);
    const otherCheckpoints = { ...anchor, checkpoints: anchorOf(log.slice(0, 5)).checkpoints };
    expect(anchorSignatureProblem(otherCheckpoints, publicKey)).toMatch(/checkpoints do not match/);
  });

  it('finds nothing when the log up to the anchor is unchanged, whatever was appended after it', () => {
    const anchor = anchorOf(log);
    const longer = aLog([...log.map((event) => event.streamId), 'customer-d', 'customer-a']);

    expect(differenceOf(anchor, log)).toBeUndefined();
    expect(differenceOf(anchor, longer)).toBeUndefined();
  });

  it('names the stream whose events were removed, or the whole log restored from an older copy', () => {
    const anchor = anchorOf(log);

    expect(differenceOf(anchor, log.slice(0, 4))).toEqual({
      streamId: 'customer-b',
      streamRevision: 1,
      reason:
        "the anchor holds the stream up to revision 1 (position 5); up to the anchor's position the log holds it up to revision 0: events were removed, or an older copy of the store was restored",
    });
    expect(
      differenceOf(
        anchor,
        log.filter((event) => event.streamId !== 'customer-c'),
      ),
    ).toMatchObject({
      streamId: 'customer-c',
      streamRevision: 0,
      reason: expect.stringContaining('the log holds none of its events'),
    });
  });

  it('names a rewritten stream, an inserted stream, and events moved between positions', () => {
    const anchor = anchorOf(log);
    const rewritten = log.map((event) =>
      event.streamId === 'customer-b'
        ? { ...event, hash: hash('sha256', `forged:${event.position}`, 'hex') }
        : event,
    );
    const spread = log.map((event) => ({ ...event, position: event.position * 10 }));
    const intruder = aLog(['customer-x'])[0]!;
    const inserted = [spread[0]!, { ...intruder, position: 15 }, ...spread.slice(1)];

    expect(differenceOf(anchor, rewritten)).toMatchObject({
      streamId: 'customer-b',
      streamRevision: 1,
      position: 5,
      reason: 'revision 1 of the stream has another hash than the anchored one: the stream was rewritten',
    });
    expect(differenceOf(anchorOf(spread), inserted)).toEqual({
      streamId: 'customer-x',
      streamRevision: 0,
      reason:
        "the stream has events up to revision 0 (position 15) before the anchor's position, and the anchor has none: the stream was inserted",
    });
    const swappedLast = [...log.slice(0, 4), log[5]!, log[4]!].map((event, index) => ({
      ...event,
      position: index + 1,
    }));
    expect(differenceOf(anchor, swappedLast)).toMatchObject({
      streamId: 'customer-b',
      position: 5,
      reason: 'revision 1 of the stream is at position 6, the anchor has it at 5: events were reordered',
    });
  });

  it('locates a reordering that leaves every head in place to the first checkpoint window that differs', () => {
    const anchor = anchorOf(log);
    // The events at positions 2 and 3 (of two streams) change places; no stream's last event moves.
    const swapped = [log[0]!, log[2]!, log[1]!, ...log.slice(3)].map((event, index) => ({
      ...event,
      position: index + 1,
    }));

    expect(differenceOf(anchor, swapped)).toEqual({
      position: 1,
      reason:
        'the log between positions 1 and 2 differs from the anchored one: events were reordered, inserted, removed or rewritten',
    });
    // Past the last checkpoint (after 4 events), the window runs to the anchor's position.
    const longer = aLog([
      'customer-a',
      'customer-b',
      'customer-c',
      'customer-d',
      'customer-a',
      'customer-b',
      'customer-a',
      'customer-b',
    ]);
    const swappedLate = [...longer.slice(0, 4), longer[5]!, longer[4]!, ...longer.slice(6)].map(
      (event, index) => ({
        ...event,
        position: index + 1,
      }),
    );
    expect(differenceOf(anchorOf(longer, 4), swappedLate)).toMatchObject({
      position: 5,
      reason: expect.stringContaining('between positions 5 and 8'),
    });
  });
});
