import { RecordedEvent, SubscriptionMessage } from '../../ports/event-store.port';
import { CommitSignal, pollingSubscription } from './polling-subscription';

/** An in-memory log read by pages; `fail` makes the next reads throw. */
function memoryLog() {
  const events: RecordedEvent[] = [];
  const failures: unknown[] = [];
  return {
    append: (count: number) => {
      for (let index = 0; index < count; index++) {
        const position = events.length + 1;
        events.push({ position } as RecordedEvent);
      }
    },
    fail: (...errors: unknown[]) => failures.push(...errors),
    readPage: async (afterPosition: number, maxCount: number) => {
      if (failures.length > 0) throw failures.shift();
      return events.filter((event) => event.position > afterPosition).slice(0, maxCount);
    },
  };
}

/** Positions and markers, as "3" and "caught-up@3". */
const show = (message: SubscriptionMessage) =>
  message.kind === 'event' ? String(message.event.position) : `caught-up@${message.position}`;

async function take(iterator: AsyncIterator<SubscriptionMessage>, count: number): Promise<string[]> {
  const taken: string[] = [];
  while (taken.length < count) taken.push(show((await iterator.next()).value as SubscriptionMessage));
  return taken;
}

// The poll interval is never reached in these cases: only commits (and aborts) move a waiting subscriber.
const NEVER = 600_000;

describe('pollingSubscription', () => {
  let commits: CommitSignal;
  beforeEach(() => (commits = new CommitSignal()));
  // Ends every wait, so that a case that failed leaves no timer behind.
  afterEach(() => commits.close());

  it('reads page by page, says caught-up once, then reads again on each commit', async () => {
    const log = memoryLog();
    log.append(5);
    const controller = new AbortController();
    const iterator = pollingSubscription(
      { readPage: log.readPage, commits, pollIntervalMs: NEVER, pageSize: 2 },
      { afterPosition: 1, signal: controller.signal },
    )[Symbol.asyncIterator]();

    expect(await take(iterator, 5)).toEqual(['2', '3', '4', '5', 'caught-up@5']);
    const next = take(iterator, 2);
    log.append(2);
    commits.committed();
    expect(await next).toEqual(['6', '7']);

    const end = iterator.next();
    controller.abort();
    expect(await end).toEqual({ done: true, value: undefined });
  });

  it('does not wait for a commit that came while the subscriber was busy with the last page', async () => {
    const log = memoryLog();
    const iterator = pollingSubscription({
      readPage: log.readPage,
      commits,
      pollIntervalMs: NEVER,
      pageSize: 10,
    })[Symbol.asyncIterator]();
    log.append(1);
    expect(await take(iterator, 2)).toEqual(['1', 'caught-up@1']);
    log.append(1);
    commits.committed();
    log.append(1);
    commits.committed();

    expect(await take(iterator, 2)).toEqual(['2', '3']);
    commits.close();
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('waits out transient read errors and ends with any other', async () => {
    const log = memoryLog();
    const transient = new Error('connection lost');
    const source = {
      readPage: log.readPage,
      commits,
      pollIntervalMs: NEVER,
      pageSize: 10,
      isTransient: (error: unknown) => error === transient,
    };
    log.append(1);
    log.fail(transient, transient);
    const iterator = pollingSubscription(source)[Symbol.asyncIterator]();

    expect(await take(iterator, 2)).toEqual(['1', 'caught-up@1']);
    log.fail(new Error('permission denied'));
    commits.committed();
    await expect(iterator.next()).rejects.toThrow('permission denied');
  });
});
