/**
 * Child process of the verification tests: appends to the event store at argv[2] through the store's own
 * append, to the existing streams `customer-busy-0..49` and to new ones, printing a line per append, until
 * it is killed. Another process writing the same file is what a verify beside a running service meets.
 */
import { createSqliteEventStore } from '../../src/adapters/sqlite/sqlite-event-store';
import { someNewEvents } from './events';

const store = createSqliteEventStore({ file: process.argv[2]! });
void (async () => {
  for (let round = 0; ; round++) {
    await store.append([
      { streamId: `customer-busy-${round % 50}`, expectedRevision: 'any', events: someNewEvents(2) },
      {
        streamId: `customer-new-${process.pid}-${round}`,
        expectedRevision: 'no_stream',
        events: someNewEvents(1),
      },
    ]);
    process.stdout.write(`${round}\n`);
  }
})();
