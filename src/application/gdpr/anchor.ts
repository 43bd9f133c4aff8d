import { createHash, createPublicKey, generateKeyPairSync, hash, KeyObject, sign, verify } from 'node:crypto';
import { RecordedEvent } from '../../ports/event-store.port';
import { canonicalJson, ChainBreak, GENESIS_HASH } from '../../ports/hash-chain';

/**
 * Signed anchors: a statement of what the log held at one position (every stream's head, the counts and a
 * running digest over every event in position order), signed with Ed25519 by a key kept away from the data.
 * Held against the log later, an anchor proves that nothing recorded up to its position was changed, removed
 * or reordered, even by someone able to rewrite the database file and recompute its hash chains.
 *
 * Pure logic: building, signing, serialising, parsing and comparing. Files and keys are read by the caller.
 */

export const ANCHOR_FORMAT = 'customer-interaction-ledger/anchor/v1';

/** Every so many events the anchor keeps the running digest, so that a difference is located to a window. */
export const CHECKPOINT_INTERVAL = 1000;

/** A stream as the anchor saw it: its last revision, the position and the hash of that last event. */
export type AnchoredHead = readonly [
  streamId: string,
  streamRevision: number,
  position: number,
  hash: string,
];

/** The running digest after so many events, at that event's position. */
export type AnchoredCheckpoint = readonly [events: number, position: number, logDigest: string];

/** What the signature covers. The lists of heads and checkpoints are bound to it by their digests. */
export interface AnchorStatement {
  readonly format: typeof ANCHOR_FORMAT;
  readonly createdAt: string;
  /** The position of the last event covered; 0 for an empty log. */
  readonly position: number;
  readonly events: number;
  readonly streams: number;
  /** d(0) = 64 zeros, d(n) = SHA-256(d(n-1) + JSON [position, streamId, streamRevision, hash]) of event n. */
  readonly logDigest: string;
  readonly headsDigest: string;
  readonly checkpointInterval: number;
  readonly checkpointsDigest: string;
  /** SHA-256 of the signer's public key (SubjectPublicKeyInfo DER), hex. */
  readonly keyId: string;
}

export interface Anchor {
  readonly statement: AnchorStatement;
  /** Ed25519 signature of the statement's canonical JSON, base64. */
  readonly signature: string;
  readonly checkpoints: readonly AnchoredCheckpoint[];
  /** Sorted by stream id. */
  readonly heads: readonly AnchoredHead[];
}

/** The part of an event that the fingerprint covers: its hash already covers its content and its chain. */
export type FingerprintedEvent = Pick<RecordedEvent, 'position' | 'streamId' | 'streamRevision' | 'hash'>;

/**
 * The running digest, checkpoints and stream heads of a log, fed event by event in position order: what an
 * anchor states, built the same way when it is made and when it is checked.
 */
export class LogFingerprint {
  private digest = GENESIS_HASH;
  private readonly ends = new Map<string, AnchoredHead>();
  private readonly made: AnchoredCheckpoint[] = [];
  private count = 0;
  private lastPosition = 0;

  constructor(readonly checkpointInterval = CHECKPOINT_INTERVAL) {}

  /** Adds the next event; returns the checkpoint it completes, if it completes one. */
  add(event: FingerprintedEvent): AnchoredCheckpoint | undefined {
    this.digest = hash(
      'sha256',
      this.digest + canonicalJson([event.position, event.streamId, event.streamRevision, event.hash]),
      'hex',
    );
    this.count++;
    this.lastPosition = event.position;
    this.ends.set(event.streamId, [event.streamId, event.streamRevision, event.position, event.hash]);
    if (this.count % this.checkpointInterval !== 0) return undefined;
    const checkpoint: AnchoredCheckpoint = [this.count, event.position, this.digest];
    this.made.push(checkpoint);
    return checkpoint;
  }

  get events(): number {
    return this.count;
  }

  get position(): number {
    return this.lastPosition;
  }

  get logDigest(): string {
    return this.digest;
  }

  get streams(): number {
    return this.ends.size;
  }

  head(streamId: string): AnchoredHead | undefined {
    return this.ends.get(streamId);
  }

  /** Every stream's head, sorted by stream id (code units, so the order never depends on a locale). */
  heads(): AnchoredHead[] {
    return [...this.ends.values()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  checkpoints(): readonly AnchoredCheckpoint[] {
    return this.made;
  }
}

/** SHA-256 of a public key's SubjectPublicKeyInfo DER, hex: names the key an anchor was signed with. */
export function anchorKeyId(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/** A new Ed25519 key pair as PEM (PKCS#8 private, SPKI public) and the public key's id. */
export function generateAnchorKeyPair(): { privateKeyPem: string; publicKeyPem: string; keyId: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: anchorKeyId(publicKey),
  };
}

/** Signs what the fingerprint holds with an Ed25519 private key. */
export function signAnchor(fingerprint: LogFingerprint, privateKey: KeyObject, createdAt: string): Anchor {
  assertEd25519(privateKey);
  const heads = fingerprint.heads();
  const checkpoints = fingerprint.checkpoints();
  const statement: AnchorStatement = {
    format: ANCHOR_FORMAT,
    createdAt,
    position: fingerprint.position,
    events: fingerprint.events,
    streams: fingerprint.streams,
    logDigest: fingerprint.logDigest,
    headsDigest: digestOfLines(heads),
    checkpointInterval: fingerprint.checkpointInterval,
    checkpointsDigest: digestOfLines(checkpoints),
    keyId: anchorKeyId(createPublicKey(privateKey)),
  };
  const signature = sign(null, Buffer.from(canonicalJson(statement)), privateKey).toString('base64');
  return { statement, signature, checkpoints, heads };
}

/**
 * Why the anchor cannot be trusted with this public key (another signer, an altered statement or lists that
 * do not match their signed digests); undefined when it can.
 */
export function anchorSignatureProblem(anchor: Anchor, publicKey: KeyObject): string | undefined {
  assertEd25519(publicKey);
  const keyId = anchorKeyId(publicKey);
  const { statement } = anchor;
  if (statement.keyId !== keyId) {
    return `the anchor was signed by key ${statement.keyId}, not by the given public key ${keyId}`;
  }
  const signed = verify(
    null,
    Buffer.from(canonicalJson(statement)),
    publicKey,
    Buffer.from(anchor.signature, 'base64'),
  );
  if (!signed) return "the anchor's signature does not verify: the anchor was altered after it was signed";
  if (digestOfLines(anchor.heads) !== statement.headsDigest || anchor.heads.length !== statement.streams) {
    return "the anchor's stream heads do not match its signed digest: the anchor file was altered";
  }
  if (
    digestOfLines(anchor.checkpoints) !== statement.checkpointsDigest ||
    anchor.checkpoints.length !== Math.floor(statement.events / statement.checkpointInterval)
  ) {
    return "the anchor's checkpoints do not match its signed digest: the anchor file was altered";
  }
  return undefined;
}

/**
 * Holds a walk of the log in position order against an anchor whose signature was checked: feed every event
 * with `add`, then call `finish` when the walk ends. Each returns the first difference once it is known; the
 * comparison is made once, when the walk passes the anchor's position or ends before it.
 */
export class AnchorCheck {
  private readonly fingerprint: LogFingerprint;
  /** The first checkpoint window whose digest differs, kept until the heads have had their say. */
  private differingWindow?: ChainBreak;
  private compared = false;

  constructor(private readonly anchor: Anchor) {
    this.fingerprint = new LogFingerprint(anchor.statement.checkpointInterval);
  }

  add(event: FingerprintedEvent): ChainBreak | undefined {
    if (this.compared) return undefined;
    if (event.position > this.anchor.statement.position) return this.finish();
    const checkpoint = this.fingerprint.add(event);
    if (checkpoint && !this.differingWindow) this.compareCheckpoint(checkpoint);
    return event.position === this.anchor.statement.position ? this.finish() : undefined;
  }

  /** Compares what was walked up to the anchor's position with what the anchor states. */
  finish(): ChainBreak | undefined {
    if (this.compared) return undefined;
    this.compared = true;
    const { statement } = this.anchor;
    const walked = this.fingerprint;
    const head = this.firstDifferingHead();
    if (head) return head;
    if (walked.events !== statement.events || walked.position !== statement.position) {
      return {
        position: Math.min(walked.position, statement.position) + 1,
        reason: `the anchor covers ${statement.events} events up to position ${statement.position}; the log holds ${walked.events} up to position ${walked.position}`,
      };
    }
    if (walked.logDigest === statement.logDigest) return undefined;
    if (this.differingWindow) return this.differingWindow;
    const last = this.anchor.checkpoints[this.anchor.checkpoints.length - 1];
    return this.windowDifference(last ? last[1] + 1 : 1, statement.position);
  }

  private compareCheckpoint([events, position, digest]: AnchoredCheckpoint): void {
    const anchored = this.anchor.checkpoints[events / this.fingerprint.checkpointInterval - 1];
    if (!anchored || (anchored[1] === position && anchored[2] === digest)) return;
    const previous = this.anchor.checkpoints[events / this.fingerprint.checkpointInterval - 2];
    this.differingWindow = this.windowDifference(previous ? previous[1] + 1 : 1, anchored[1]);
  }

  private windowDifference(from: number, to: number): ChainBreak {
    return {
      position: from,
      reason: `the log between positions ${from} and ${to} differs from the anchored one: events were reordered, inserted, removed or rewritten`,
    };
  }

  /** The anchored stream whose head the walk does not reproduce, earliest by position first. */
  private firstDifferingHead(): ChainBreak | undefined {
    const differences: { at: number; difference: ChainBreak }[] = [];
    const anchoredIds = new Set<string>();
    for (const [streamId, revision, position, anchoredHash] of this.anchor.heads) {
      anchoredIds.add(streamId);
      const walked = this.fingerprint.head(streamId);
      if (walked && walked[1] === revision && walked[2] === position && walked[3] === anchoredHash) continue;
      differences.push({
        at: position,
        difference: headDifference([streamId, revision, position, anchoredHash], walked),
      });
    }
    for (const walked of this.fingerprint.heads()) {
      if (anchoredIds.has(walked[0])) continue;
      differences.push({
        at: walked[2],
        difference: {
          streamId: walked[0],
          streamRevision: 0,
          reason: `the stream has events up to revision ${walked[1]} (position ${walked[2]}) before the anchor's position, and the anchor has none: the stream was inserted`,
        },
      });
    }
    differences.sort((a, b) => a.at - b.at);
    return differences[0]?.difference;
  }
}

function headDifference(anchored: AnchoredHead, walked: AnchoredHead | undefined): ChainBreak {
  const [streamId, revision, position] = anchored;
  const lost = 'events were removed, or an older copy of the store was restored';
  if (!walked) {
    return {
      streamId,
      streamRevision: 0,
      reason: `the anchor holds the stream up to revision ${revision} (position ${position}); the log holds none of its events: ${lost}`,
    };
  }
  const [, walkedRevision, walkedPosition] = walked;
  if (walkedRevision < revision) {
    return {
      streamId,
      streamRevision: walkedRevision + 1,
      reason: `the anchor holds the stream up to revision ${revision} (position ${position}); up to the anchor's position the log holds it up to revision ${walkedRevision}: ${lost}`,
    };
  }
  if (walkedRevision > revision) {
    return {
      streamId,
      streamRevision: revision + 1,
      position: walkedPosition,
      reason: `up to the anchor's position the log holds the stream up to revision ${walkedRevision}, the anchor up to ${revision}: events were inserted`,
    };
  }
  if (walkedPosition !== position) {
    return {
      streamId,
      streamRevision: revision,
      position: Math.min(position, walkedPosition),
      reason: `revision ${revision} of the stream is at position ${walkedPosition}, the anchor has it at ${position}: events were reordered`,
    };
  }
  return {
    streamId,
    streamRevision: revision,
    position,
    reason: `revision ${revision} of the stream has another hash than the anchored one: the stream was rewritten`,
  };
}

/** The anchor as JSON text in pieces, one head or checkpoint per line, so a large anchor is never one string. */
export function* anchorText(anchor: Anchor): Iterable<string> {
  yield `{"statement":${canonicalJson(anchor.statement)},\n"signature":${JSON.stringify(anchor.signature)},\n"checkpoints":[`;
  yield* jsonLines(anchor.checkpoints);
  yield '],\n"heads":[';
  yield* jsonLines(anchor.heads);
  yield ']}\n';
}

/** Reads an anchor's JSON, checking its shape (not its signature: see anchorSignatureProblem). */
export function parseAnchor(text: string): Anchor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`not a ledger anchor: ${(error as Error).message} (an incomplete file?)`);
  }
  const anchor = parsed as Partial<Anchor> | null;
  const statement = anchor?.statement as Partial<AnchorStatement> | undefined;
  const problems = [
    statement?.format !== ANCHOR_FORMAT && `format is not ${ANCHOR_FORMAT}`,
    typeof statement?.createdAt !== 'string' && 'statement.createdAt is missing',
    ...(['position', 'events', 'streams', 'checkpointInterval'] as const)
      .filter((field) => !Number.isSafeInteger(statement?.[field]) || statement![field]! < 0)
      .map((field) => `statement.${field} is not a whole number`),
    statement?.checkpointInterval === 0 && 'statement.checkpointInterval is 0',
    ...(['logDigest', 'headsDigest', 'checkpointsDigest', 'keyId'] as const)
      .filter((field) => !isHex64(statement?.[field]))
      .map((field) => `statement.${field} is not a SHA-256 in hex`),
    typeof anchor?.signature !== 'string' && 'signature is missing',
    !(Array.isArray(anchor?.heads) && anchor.heads.every(isAnchoredHead)) &&
      'heads are not [streamId, streamRevision, position, hash] lists',
    !(Array.isArray(anchor?.checkpoints) && anchor.checkpoints.every(isAnchoredCheckpoint)) &&
      'checkpoints are not [events, position, logDigest] lists',
  ].filter((problem): problem is string => typeof problem === 'string');
  if (problems.length > 0) throw new Error(`not a ledger anchor: ${problems.join('; ')}`);
  return anchor as Anchor;
}

function* jsonLines(items: readonly unknown[]): Iterable<string> {
  for (let index = 0; index < items.length; index++) {
    yield `${index === 0 ? '\n' : ',\n'}${canonicalJson(items[index])}`;
  }
}

/** SHA-256 over one canonical JSON line per item: how the statement binds the lists it does not contain. */
function digestOfLines(items: readonly unknown[]): string {
  const digest = createHash('sha256');
  for (const item of items) digest.update(`${canonicalJson(item)}\n`);
  return digest.digest('hex');
}

function assertEd25519(key: KeyObject): void {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(
      `anchors are signed with Ed25519 keys; this is a ${key.asymmetricKeyType ?? key.type} key`,
    );
  }
}

function isHex64(value: unknown): boolean {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
}

function isAnchoredHead(value: unknown): value is AnchoredHead {
  return (
    Array.isArray(value) &&
    value.length === 4 &&
    typeof value[0] === 'string' &&
    Number.isSafeInteger(value[1]) &&
    Number.isSafeInteger(value[2]) &&
    isHex64(value[3])
  );
}

function isAnchoredCheckpoint(value: unknown): value is AnchoredCheckpoint {
  return (
    Array.isArray(value) &&
    value.length === 3 &&
    Number.isSafeInteger(value[0]) &&
    Number.isSafeInteger(value[1]) &&
    isHex64(value[2])
  );
}
