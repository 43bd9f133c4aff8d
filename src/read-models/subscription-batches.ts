import { RecordedEvent, SubscriptionMessage } from '../event-store/event-store.port';

export interface EventBatch {
  readonly events: RecordedEvent[];
  /** True when the batch ends at the head of the log as the subscription first saw it. */
  readonly caughtUp: boolean;
}

const NOT_YET = Symbol('not yet');

/**
 * Groups a subscription's messages into batches: up to `maxSize` events, cut early at the caught-up marker
 * and whenever no further message is ready at once (live events are applied without waiting for more).
 */
export async function* batchesOf(
  subscription: AsyncIterable<SubscriptionMessage>,
  maxSize: number,
): AsyncIterable<EventBatch> {
  const iterator = subscription[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<SubscriptionMessage>> | undefined;
  for (;;) {
    const events: RecordedEvent[] = [];
    let caughtUp = false;
    let done = false;
    for (;;) {
      pending ??= iterator.next();
      const next =
        events.length === 0
          ? await pending
          : await Promise.race([
              pending,
              new Promise<typeof NOT_YET>((resolve) => setImmediate(() => resolve(NOT_YET))),
            ]);
      if (next === NOT_YET) break;
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
    }
    if (events.length > 0 || caughtUp) yield { events, caughtUp };
    if (done) return;
  }
}
