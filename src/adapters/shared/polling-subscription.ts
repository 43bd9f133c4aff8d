import { RecordedEvent, SubscribeOptions, SubscriptionMessage } from '../../ports/event-store.port';

/**
 * Commits as subscribers wait for them: the store calls `committed()` after each commit it makes or hears of,
 * and `close()` when it closes; a subscriber waits with `next()`.
 */
export class CommitSignal {
  /** Commits seen so far: a subscriber that read the log before a commit came does not wait for the next. */
  private commits = 0;
  private closed = false;
  private readonly waiters = new Set<() => void>();

  get seen(): number {
    return this.commits;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  committed(): void {
    this.commits++;
    for (const wake of [...this.waiters]) wake();
  }

  /** Ends every wait, now and later. */
  close(): void {
    this.closed = true;
    this.committed();
  }

  /**
   * Resolves on the next commit after `seen` (at once when one came meanwhile; undefined: the next one from now),
   * after `timeoutMs`, on abort, or on close.
   */
  next(seen: number | undefined, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if ((seen !== undefined && seen !== this.commits) || this.closed || signal?.aborted) {
        resolve();
        return;
      }
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal?.addEventListener('abort', done);
      this.waiters.add(done);
    });
  }
}

export interface PollingSource {
  /** A page of the log: up to `maxCount` events after the position, in position order. */
  readonly readPage: (afterPosition: number, maxCount: number) => Promise<readonly RecordedEvent[]>;
  readonly commits: CommitSignal;
  /** The longest wait for a commit before reading again: covers commits the store did not hear of. */
  readonly pollIntervalMs: number;
  readonly pageSize: number;
  /** Read errors that are waited out (growing pauses, up to 5 s) rather than ending the subscription. */
  readonly isTransient?: (error: unknown) => boolean;
  /** Runs before each wait (to start listening for other processes' commits, say). */
  readonly beforeWait?: () => void;
}

const MAX_BACKOFF_MS = 5000;

/**
 * The subscription of a store that is read by polling: pages of the log until a short one, the caught-up marker
 * once, then a wait for the next commit (or the poll interval) and the next page.
 */
export async function* pollingSubscription(
  source: PollingSource,
  options: SubscribeOptions = {},
): AsyncIterable<SubscriptionMessage> {
  const { commits } = source;
  const { signal } = options;
  let position = options.afterPosition ?? 0;
  let caughtUp = false;
  let failures = 0;
  while (!signal?.aborted && !commits.isClosed) {
    const seen = commits.seen;
    let page: readonly RecordedEvent[];
    try {
      page = await source.readPage(position, source.pageSize);
      failures = 0;
    } catch (error) {
      if (commits.isClosed || signal?.aborted) return;
      if (!source.isTransient?.(error)) throw error;
      source.beforeWait?.();
      await commits.next(undefined, Math.min(MAX_BACKOFF_MS, 100 * 2 ** failures++), signal);
      continue;
    }
    for (const event of page) {
      yield { kind: 'event', event };
      position = event.position;
      if (signal?.aborted) return;
    }
    if (page.length < source.pageSize) {
      if (!caughtUp) {
        caughtUp = true;
        yield { kind: 'caught-up', position };
      }
      source.beforeWait?.();
      await commits.next(seen, source.pollIntervalMs, signal);
    }
  }
}
