import { KeyObject } from 'node:crypto';
import { Anchor, AnchorCheck, anchorSignatureProblem, LogFingerprint, signAnchor } from './anchor';
import {
  EventStore,
  LogSummary,
  readStreamInPages,
  readWholeLog,
  RecordedEvent,
  yieldToEventLoop,
  StreamHead,
} from '../../ports/event-store.port';
import { ChainBreak, ChainEnd, ChainWalk, GENESIS_HASH, VerificationReport } from '../../ports/hash-chain';
import { storedEventsOf } from '../../ports/upcasting-event-store';

/**
 * Events hashed between two turns of the event loop: recomputing a chain link costs tens of microseconds, so
 * a page of the log is walked in several turns and other requests wait a few milliseconds at most.
 */
const EVENTS_PER_TURN = 100;

export interface VerifyLogOptions {
  /** Called with every event walked, in position order (progress, or a fingerprint for an anchor). */
  readonly onEvent?: (event: RecordedEvent) => void;
  /** An anchor whose signature was checked: the log up to its position must be exactly what it states. */
  readonly anchor?: Anchor;
}

/**
 * Verifies the whole log: content, order and completeness. Walks every event up to the last position (read
 * together with the store's own counts) and recomputes each stream's chain; where positions are dense, a gap
 * is a removed event. Then holds the walk against an anchor (when given), against every stream's head (a
 * removed last event), and against the store's counts (a removed stream). Reports the first break.
 *
 * Appends may go on meanwhile: a head found ahead of the walk is followed into the events appended since.
 */
export async function verifyLog(
  anyStore: EventStore,
  options: VerifyLogOptions = {},
): Promise<VerificationReport> {
  // The chains cover the events as written, never as upcast.
  const store = storedEventsOf(anyStore);
  const summary = await store.logSummary();
  const walk = new ChainWalk(summary.densePositions);
  const anchorCheck = options.anchor && new AnchorCheck(options.anchor);
  const report = (broken?: ChainBreak) => withAnchor(walk.report(broken), options.anchor);
  let walked = 0;
  for await (const event of readWholeLog(store)) {
    if (event.position > summary.lastPosition) break;
    if (++walked % EVENTS_PER_TURN === 0) await yieldToEventLoop();
    options.onEvent?.(event);
    const broken = walk.add(event) ?? anchorCheck?.add(event);
    if (broken) return report(broken);
  }
  return report(
    anchorCheck?.finish() ??
      (await headsBreak(store, walk, summary.lastPosition)) ??
      countsBreak(summary, walk),
  );
}

/**
 * Verifies an anchor's signature with the public key, then the whole log against it; the anchor's own
 * problems (another signer, an altered file) are reported as the first break.
 */
export async function verifyLogAgainstAnchor(
  store: EventStore,
  anchor: Anchor,
  publicKey: KeyObject,
  options: Omit<VerifyLogOptions, 'anchor'> = {},
): Promise<VerificationReport> {
  const problem = anchorSignatureProblem(anchor, publicKey);
  if (problem) {
    return withAnchor({ ok: false, streams: 0, events: 0, firstBreak: { reason: problem } }, anchor);
  }
  return verifyLog(store, { ...options, anchor });
}

/**
 * Verifies the log and, when it holds, signs an anchor of it up to the position verified. A log that does not
 * verify is not anchored: an anchor would vouch for the break.
 */
export async function anchorLog(
  store: EventStore,
  privateKey: KeyObject,
  { onEvent, now }: { onEvent?: (event: RecordedEvent) => void; now: Date },
): Promise<{ report: VerificationReport; anchor?: Anchor }> {
  const fingerprint = new LogFingerprint();
  const report = await verifyLog(store, {
    onEvent: (event) => {
      fingerprint.add(event);
      onEvent?.(event);
    },
  });
  if (!report.ok) return { report };
  return { report, anchor: signAnchor(fingerprint, privateKey, now.toISOString()) };
}

/**
 * Verifies some streams (one customer's), each against its head. Positions are not checked for gaps: the
 * streams hold only part of the log. The streams are read page by page and walked together in position order,
 * so a customer with any number of events is verified a page at a time.
 */
export async function verifyStreams(
  anyStore: EventStore,
  streamIds: readonly string[],
): Promise<VerificationReport> {
  const store = storedEventsOf(anyStore);
  const walk = new ChainWalk();
  let walked = 0;
  for await (const event of inPositionOrder(
    streamIds.map((streamId) => readStreamInPages(store, streamId)),
  )) {
    if (++walked % EVENTS_PER_TURN === 0) await yieldToEventLoop();
    const broken = walk.add(event);
    if (broken) return walk.report(broken);
  }
  for (const streamId of streamIds) {
    const head = await store.streamHead(streamId);
    const broken = head
      ? await headBreak(store, head, walk.end(streamId))
      : missingHead(streamId, walk.end(streamId));
    if (broken) return walk.report(broken);
  }
  return walk.report();
}

/** Where a merge of paged reads stands in one of them. */
interface PageCursor {
  readonly pages: AsyncIterator<readonly RecordedEvent[]>;
  page: readonly RecordedEvent[];
  index: number;
}

/** The events of several paged reads, each in position order, merged into one position order. */
async function* inPositionOrder(
  reads: readonly AsyncIterable<readonly RecordedEvent[]>[],
): AsyncIterable<RecordedEvent> {
  const hasNext = async (cursor: PageCursor): Promise<boolean> => {
    while (cursor.index >= cursor.page.length) {
      const next = await cursor.pages.next();
      if (next.done) return false;
      cursor.page = next.value;
      cursor.index = 0;
    }
    return true;
  };
  let open: PageCursor[] = [];
  for (const read of reads) {
    const cursor: PageCursor = { pages: read[Symbol.asyncIterator](), page: [], index: 0 };
    if (await hasNext(cursor)) open.push(cursor);
  }
  while (open.length > 0) {
    const earliest = open.reduce((first, each) =>
      each.page[each.index]!.position < first.page[first.index]!.position ? each : first,
    );
    yield earliest.page[earliest.index++]!;
    if (!(await hasNext(earliest))) open = open.filter((each) => each !== earliest);
  }
}

/** Every head held against the walk; then every walked stream must have had a head. */
async function headsBreak(
  store: EventStore,
  walk: ChainWalk,
  walkedUpTo: number,
): Promise<ChainBreak | undefined> {
  const headed = new Set<string>();
  for await (const head of store.streamHeads()) {
    headed.add(head.streamId);
    const broken = await headBreak(store, head, walk.end(head.streamId), walkedUpTo);
    if (broken) return broken;
  }
  for (const [streamId, end] of walk.entries()) {
    if (!headed.has(streamId)) return missingHead(streamId, end);
  }
  return undefined;
}

function missingHead(streamId: string, end: ChainEnd | undefined): ChainBreak | undefined {
  if (!end) return undefined;
  return {
    streamId,
    streamRevision: end.revision,
    position: end.position,
    reason: `the stream holds events up to revision ${end.revision}, but the store keeps no head for it: its record was removed`,
  };
}

/**
 * Whether the head matches where the stream's chain ends. A head ahead of the walk is followed into the
 * stream: the events since must be there, appended after the walk (`walkedUpTo`), chained on, and end at the
 * head; otherwise the stream's last events were removed.
 */
async function headBreak(
  store: EventStore,
  head: StreamHead,
  end: ChainEnd | undefined,
  walkedUpTo?: number,
): Promise<ChainBreak | undefined> {
  const { streamId } = head;
  const walkedRevision = end?.revision ?? -1;
  if (head.streamRevision === walkedRevision) {
    if (head.hash === (end?.hash ?? GENESIS_HASH)) return undefined;
    return {
      streamId,
      streamRevision: walkedRevision,
      position: end?.position,
      reason: `the stream's head records another hash for revision ${walkedRevision} than its last event has`,
    };
  }
  if (head.streamRevision < walkedRevision) {
    return {
      streamId,
      streamRevision: head.streamRevision + 1,
      position: end?.position,
      reason: `the stream's head records revision ${head.streamRevision}, but the stream holds events up to revision ${walkedRevision}`,
    };
  }
  const removed: ChainBreak = {
    streamId,
    streamRevision: walkedRevision + 1,
    reason:
      walkedRevision < 0
        ? `the stream's head records revision ${head.streamRevision}, but the stream holds no events: they were removed`
        : `the stream's head records revision ${head.streamRevision}, but its events end at revision ${walkedRevision}: its last events were removed`,
  };
  const later = await store.readStream(streamId, {
    fromRevision: walkedRevision + 1,
    maxCount: head.streamRevision - walkedRevision,
  });
  const tail = new ChainWalk();
  if (end) tail.resume(streamId, end);
  for (const event of later) {
    if (walkedUpTo !== undefined && event.position <= walkedUpTo) {
      return {
        streamId,
        streamRevision: event.streamRevision,
        position: event.position,
        reason: `revision ${event.streamRevision} is stored at position ${event.position} but was not in the log read in position order`,
      };
    }
    const broken = tail.add(event);
    if (broken) return broken;
  }
  const last = later[later.length - 1];
  if (last?.streamRevision !== head.streamRevision) return removed;
  if (last.hash !== head.hash) {
    return {
      streamId,
      streamRevision: last.streamRevision,
      position: last.position,
      reason: `the stream's head records another hash for revision ${last.streamRevision} than its last event has`,
    };
  }
  return undefined;
}

function countsBreak(summary: LogSummary, walk: ChainWalk): ChainBreak | undefined {
  if (!summary.counted) return undefined;
  const { streams, events } = summary.counted;
  if (streams === walk.streams && events === walk.events) return undefined;
  const fewer = walk.events < events || walk.streams < streams;
  return {
    // Dense positions with every one present up to the last: what is missing came after it.
    ...(summary.densePositions && walk.events < events && { position: summary.lastPosition + 1 }),
    reason:
      `the store counted ${amount(events, 'event')} in ${amount(streams, 'stream')} as it appended them, ` +
      `the log holds ${amount(walk.events, 'event')} in ${amount(walk.streams, 'stream')}: ` +
      (fewer ? 'events or whole streams were removed' : 'events were added outside the store'),
  };
}

function amount(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function withAnchor(report: VerificationReport, anchor: Anchor | undefined): VerificationReport {
  if (!anchor) return report;
  const { position, events, streams, createdAt, keyId } = anchor.statement;
  return { ...report, anchor: { position, events, streams, createdAt, keyId } };
}
