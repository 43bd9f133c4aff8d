import { RecordedEvent, SubscriptionMessage } from '../../ports/event-store.port';

export interface EventBatch {
  readonly events: RecordedEvent[];
  /** True when the batch ends at the head of the log as the subscription first saw it. */
  readonly caughtUp: boolean;
}

const DEADLINE = Symbol('deadline');

/**
 * Groups a subscription's messages into batches of up to `maxSize` events, cut early at the caught-up marker
 * and `lingerMs` after a batch's first event: live events are gathered for a moment, so that a busy service
 * folds them in a few transactions rather than one by one, at the cost of that much projection lag.
 */
export async function* batchesOf(
  subscription: AsyncIterable<SubscriptionMessage>,
  maxSize: number,
  lingerMs = 0,
): AsyncIterable<EventBatch> {
  const iterator = subscription[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<SubscriptionMessage>> | undefined;
  /** Asks for the next message now, so that it is read while the consumer folds the batch just handed over. */
  const readAhead = () => {
    pending ??= iterator.next();
    // Awaited later; until then a failure must not count as unhandled.
    pending.catch(() => undefined);
  };
  try {
    for (;;) {
      const events: RecordedEvent[] = [];
      let caughtUp = false;
      let done = false;
      let timer: NodeJS.Timeout | undefined;
      let deadline: Promise<typeof DEADLINE> | undefined;
      for (;;) {
        pending ??= iterator.next();
        const next = deadline ? await Promise.race([pending, deadline]) : await pending;
        if (next === DEADLINE) break;
        pending = undefined;
        if (next.done) {
          done = true;
          break;
        }
        if (next.value.kind === 'caught-up') {
          caughtUp = true;
          break;
        }
        events.push(next.value.event);
        if (events.length >= maxSize) break;
        deadline ??= new Promise((resolve) => {
          timer = setTimeout(() => resolve(DEADLINE), lingerMs);
        });
      }
      clearTimeout(timer);
      if (done) {
        if (events.length > 0 || caughtUp) yield { events, caughtUp };
        return;
      }
      readAhead();
      if (events.length > 0 || caughtUp) yield { events, caughtUp };
    }
  } finally {
    // A consumer that stops early closes the subscription (and whatever reads ahead for it).
    void iterator.return?.()?.catch(() => undefined);
  }
}
