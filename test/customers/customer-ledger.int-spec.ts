import { randomBytes } from 'node:crypto';
import { CustomerLedger, RecordingContext } from '../../src/application/customers/customer-ledger';
import { createSqliteEventStore } from '../../src/adapters/sqlite/sqlite-event-store';
import { createSqliteSubjectKeyStore } from '../../src/adapters/sqlite/sqlite-subject-key-store';
import { DomainError } from '../../src/domain/domain-error';
import { EventStore, WrongExpectedRevisionError } from '../../src/ports/event-store.port';
import { PiiCipher } from '../../src/privacy/pii-cipher';
import { RequestValidationError } from '../../src/validation/request-validation';

/** The command path under writers it keeps losing to. */
describe('CustomerLedger under concurrent writes', () => {
  const context: RecordingContext = { actor: 'test', causationId: 'c', correlationId: 'c', now: new Date() };
  const browse = {
    customerId: 'c-1',
    command: {
      kind: 'RecordTouchpoint' as const,
      occurredAt: new Date(),
      touchpoint: { type: 'browse' as const, data: { product: { id: 'p-1' } } },
    },
  };

  /** A store whose appends lose the race `losses` times, as if another writer always got there first. */
  function contended(store: EventStore, losses: number) {
    let lost = 0;
    return new Proxy(store, {
      get(target, property, receiver) {
        if (property !== 'append') return Reflect.get(target, property, receiver) as unknown;
        return (...args: Parameters<EventStore['append']>) =>
          ++lost <= losses
            ? Promise.reject(new WrongExpectedRevisionError('customer-c-1', 'no_stream', 0))
            : target.append(...args);
      },
    });
  }

  it('retries a lost race and records once it wins', async () => {
    const store = createSqliteEventStore({ file: ':memory:' });
    const ledger = new CustomerLedger(
      contended(store, 4),
      new PiiCipher(createSqliteSubjectKeyStore(':memory:'), randomBytes(32)),
    );

    const [outcome] = await ledger.execute([browse], context);

    expect(outcome).toMatchObject({ customerId: 'c-1', streamRevision: 0, duplicate: false });
  });

  it('gives up after five lost races as busy (503 with Retry-After over HTTP), having recorded nothing', async () => {
    const store = createSqliteEventStore({ file: ':memory:' });
    const ledger = new CustomerLedger(
      contended(store, 5),
      new PiiCipher(createSqliteSubjectKeyStore(':memory:'), randomBytes(32)),
    );

    const refused = await ledger.execute([browse], context).catch((error: unknown) => error);

    expect(refused).toBeInstanceOf(DomainError);
    expect(refused).toMatchObject({ kind: 'busy', code: 'customer-contended' });
    expect(await store.lastPosition()).toBe(0);
  });
});

/** The command path refuses what the read side would park, whatever door the command came through. */
describe('CustomerLedger before the append', () => {
  const context: RecordingContext = { actor: 'test', causationId: 'c', correlationId: 'c', now: new Date() };
  const ledgerOn = (store: EventStore) =>
    new CustomerLedger(store, new PiiCipher(createSqliteSubjectKeyStore(':memory:'), randomBytes(32)));

  it('refuses an event the event guard would park (a null note), naming the field, and appends nothing', async () => {
    const store = createSqliteEventStore({ file: ':memory:' });
    const contact = {
      customerId: 'c-1',
      command: {
        kind: 'RecordTouchpoint' as const,
        occurredAt: new Date(),
        touchpoint: {
          type: 'contact' as const,
          data: { direction: 'inbound' as const, note: null as unknown as string },
        },
      },
    };

    const refused = await ledgerOn(store)
      .execute([contact], { ...context, fieldPath: () => 'touchpoints[0].' })
      .catch((error: unknown) => error);

    expect(refused).toBeInstanceOf(RequestValidationError);
    expect((refused as RequestValidationError).problems).toEqual([
      { field: 'touchpoints[0].data.note', message: 'data.note must be a string (stored encrypted)' },
    ]);
    expect(await store.lastPosition()).toBe(0);
  });

  it('refuses a new stream named by an e-mail address', async () => {
    const store = createSqliteEventStore({ file: ':memory:' });
    const browse = {
      customerId: 'jane.roe@example.com',
      command: {
        kind: 'RecordTouchpoint' as const,
        occurredAt: new Date(),
        touchpoint: { type: 'browse' as const, data: { product: { id: 'p-1' } } },
      },
    };

    const refused = await ledgerOn(store)
      .execute([browse], context)
      .catch((error: unknown) => error);

    expect((refused as RequestValidationError).problems).toEqual([
      { field: 'customerId', message: expect.stringMatching(/^customerId must not be an e-mail address/) },
    ]);
    expect(await store.lastPosition()).toBe(0);
  });
});
