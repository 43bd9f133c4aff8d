import { randomBytes } from 'node:crypto';
import {
  CommandEnvelope,
  CustomerLedger,
  RecordingContext,
} from '../../src/application/customers/customer-ledger';
import { createSqliteEventStore } from '../../src/adapters/sqlite/sqlite-event-store';
import { createSqliteSubjectKeyStore } from '../../src/adapters/sqlite/sqlite-subject-key-store';
import { DomainError } from '../../src/domain/domain-error';
import { EventStore, WrongExpectedRevisionError } from '../../src/ports/event-store.port';
import { PiiCipher } from '../../src/privacy/pii-cipher';
import { RequestValidationError } from '../../src/validation/request-validation';
import { createSqliteReadStore } from '../../src/adapters/sqlite/sqlite-read-store';
import { ReadStore } from '../../src/ports/read-store.port';
import { EMAIL_INDEX_COLLECTION, EMAIL_INDEX_KEYS, EmailBlindIndex } from '../../src/privacy/blind-index';
import { EmailDirectory } from '../../src/privacy/email-directory';
import { absorbing, mergeEventIds, mergingInto } from '../../src/application/customers/merge-routing';
import { MergeAppends } from '../../src/application/customers/merge-appends';

/** A ledger on the store with a cipher and an e-mail directory of its own (SQLite in memory). */
function ledgerOn(store: EventStore, reads: ReadStore = createSqliteReadStore(':memory:')) {
  const masterKey = randomBytes(32);
  const cipher = new PiiCipher(createSqliteSubjectKeyStore(':memory:'), masterKey);
  const emailDirectory = new EmailDirectory(reads, store, cipher, new EmailBlindIndex(masterKey));
  const ledger = new CustomerLedger(store, cipher, emailDirectory, reads);
  return {
    ledger,
    emailDirectory,
    /** What the application does at startup: the e-mail index ready, then the ledger's own bootstrap. */
    ready: async () => {
      await reads.ensureCollection(EMAIL_INDEX_COLLECTION, EMAIL_INDEX_KEYS);
      await ledger.onApplicationBootstrap();
    },
  };
}

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
    const { ledger } = ledgerOn(contended(store, 4));

    const [outcome] = await ledger.execute([browse], context);

    expect(outcome).toMatchObject({ customerId: 'c-1', streamRevision: 0, duplicate: false });
  });

  it('gives up after five lost races as busy (503 with Retry-After over HTTP), having recorded nothing', async () => {
    const store = createSqliteEventStore({ file: ':memory:' });
    const { ledger } = ledgerOn(contended(store, 5));

    const refused = await ledger.execute([browse], context).catch((error: unknown) => error);

    expect(refused).toBeInstanceOf(DomainError);
    expect(refused).toMatchObject({ kind: 'busy', code: 'customer-contended' });
    expect(await store.lastPosition()).toBe(0);
  });
});

/** The command path refuses what the read side would park, whatever door the command came through. */
describe('CustomerLedger before the append', () => {
  const context: RecordingContext = { actor: 'test', causationId: 'c', correlationId: 'c', now: new Date() };

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
      .ledger.execute([contact], { ...context, fieldPath: () => 'touchpoints[0].' })
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
      .ledger.execute([browse], context)
      .catch((error: unknown) => error);

    expect((refused as RequestValidationError).problems).toEqual([
      { field: 'customerId', message: expect.stringMatching(/^customerId must not be an e-mail address/) },
    ]);
    expect(await store.lastPosition()).toBe(0);
  });
});

/** Every command that records an e-mail address indexes it, whatever door it came through. */
describe('CustomerLedger and the e-mail directory', () => {
  const context: RecordingContext = { actor: 'test', causationId: 'c', correlationId: 'c', now: new Date() };

  it('indexes the address of a registration and of a change of contact details', async () => {
    const store = createSqliteEventStore({ file: ':memory:' });
    const { ledger, emailDirectory, ready } = ledgerOn(store);
    await ready();
    const occurredAt = new Date();

    await ledger.execute(
      [
        {
          customerId: 'c-1',
          command: {
            kind: 'RegisterCustomer',
            occurredAt,
            data: { name: 'Ada Lovelace', email: 'ada@example.org' },
          },
        },
      ],
      context,
    );
    expect(await emailDirectory.find('ADA@example.org')).toEqual(['c-1']);

    await ledger.execute(
      [
        {
          customerId: 'c-1',
          command: {
            kind: 'ChangeContactDetails',
            occurredAt,
            data: { email: 'ada@new.example', reason: 'moved' },
          },
        },
      ],
      context,
    );
    expect(await emailDirectory.find('ada@new.example')).toEqual(['c-1']);
    expect(await emailDirectory.find('ada@example.org')).toEqual([]);
  });
});

/**
 * A merge is two appends (the duplicate closed, then the survivor told): a crash between them is completed by
 * the next command that touches the duplicate, in another process.
 */
describe('CustomerLedger after a crash between the two appends of a merge', () => {
  const context: RecordingContext = { actor: 'test', causationId: 'c', correlationId: 'c', now: new Date() };
  const register = (customerId: string) => ({
    customerId,
    command: {
      kind: 'RegisterCustomer' as const,
      occurredAt: new Date(),
      data: { name: 'Ada Lovelace', email: `${customerId}@example.org` },
    },
  });
  const complaint = (
    customerId: string,
    complaintId: string,
    type: 'complaint' | 'complaint-resolved',
  ): CommandEnvelope => ({
    customerId,
    command: {
      kind: 'RecordTouchpoint',
      occurredAt: new Date(),
      touchpoint:
        type === 'complaint'
          ? { type, data: { complaintId, severity: 'high' } }
          : { type, data: { complaintId, resolution: 'refunded' } },
    },
  });

  /** The store as a process sees it that dies on its first append of a survivor's CustomerMerged. */
  function dyingBeforeTheSurvivor(store: EventStore): EventStore {
    return new Proxy(store, {
      get(target, property, receiver) {
        if (property !== 'append') return Reflect.get(target, property, receiver) as unknown;
        return (...[requests]: Parameters<EventStore['append']>) =>
          requests.some((request) => request.events.some((event) => event.type === 'CustomerMerged'))
            ? Promise.reject(new Error('process killed'))
            : target.append(requests);
      },
    });
  }

  async function crashedMerge() {
    const store = createSqliteEventStore({ file: ':memory:' });
    const reads = createSqliteReadStore(':memory:');
    const { ledger, ready } = ledgerOn(store, reads);
    await ready();
    await ledger.execute([register('c-survivor'), register('c-duplicate')], context);
    await ledger.execute([complaint('c-duplicate', 'k-1', 'complaint')], context);
    const crashed = await ledgerOn(dyingBeforeTheSurvivor(store), reads)
      .ledger.execute(
        [
          mergingInto('c-duplicate', 'c-survivor', context.now),
          absorbing('c-survivor', 'c-duplicate', context.now),
        ],
        context,
      )
      .catch((error: unknown) => error);
    expect(crashed).toEqual(new Error('process killed'));
    return { store, reads };
  }
  const typesOf = async (store: EventStore, customerId: string) =>
    (await store.readStream(`customer-${customerId}`)).map((event) => event.type);

  it('leaves the duplicate closed and the survivor unaware: the merge is decided, not complete', async () => {
    const { store } = await crashedMerge();

    expect(await typesOf(store, 'c-duplicate')).toEqual([
      'CustomerRegistered',
      'ComplaintFiled',
      'CustomerMergedInto',
    ]);
    expect(await typesOf(store, 'c-survivor')).toEqual(['CustomerRegistered']);
  });

  it("completes the merge on the next command to the duplicate's id, before that command", async () => {
    const { store } = await crashedMerge();
    const { ledger } = ledgerOn(store);

    // Resolving the duplicate's complaint through its id needs the survivor to have absorbed it.
    const [outcome] = await ledger.execute([complaint('c-duplicate', 'k-1', 'complaint-resolved')], context);

    expect(outcome).toMatchObject({ customerId: 'c-survivor', duplicate: false });
    expect(await typesOf(store, 'c-survivor')).toEqual([
      'CustomerRegistered',
      'CustomerMerged',
      'ComplaintResolved',
    ]);
    const [merged] = await store.readStream('customer-c-survivor', { fromRevision: 1, maxCount: 1 });
    expect(merged).toMatchObject({
      eventId: mergeEventIds({ survivorId: 'c-survivor', duplicateId: 'c-duplicate' }).absorbed,
      data: { duplicateId: 'c-duplicate' },
    });
  });

  it("completes the merge once when the merge is asked again, answering the duplicate's half as recorded", async () => {
    const { store } = await crashedMerge();
    const { ledger } = ledgerOn(store);
    const merge = [
      mergingInto('c-duplicate', 'c-survivor', context.now),
      absorbing('c-survivor', 'c-duplicate', context.now),
    ];

    const outcomes = await ledger.execute(merge, context);
    await ledger.execute([complaint('c-duplicate', 'k-1', 'complaint-resolved')], context);
    const again = await ledger.execute(merge, context);

    expect(outcomes.map((outcome) => outcome.duplicate)).toEqual([true, false]);
    expect(again.map((outcome) => outcome.duplicate)).toEqual([true, true]);
    expect(await typesOf(store, 'c-survivor')).toEqual([
      'CustomerRegistered',
      'CustomerMerged',
      'ComplaintResolved',
    ]);
  });

  it('completes the merge when a process starts, in the name of who asked for it, and strikes it out', async () => {
    const { store, reads } = await crashedMerge();

    await ledgerOn(store, reads).ready();

    expect(await typesOf(store, 'c-survivor')).toEqual(['CustomerRegistered', 'CustomerMerged']);
    const [merged] = await store.readStream('customer-c-survivor', { fromRevision: 1, maxCount: 1 });
    expect(merged).toMatchObject({
      eventId: mergeEventIds({ survivorId: 'c-survivor', duplicateId: 'c-duplicate' }).absorbed,
      metadata: { actor: 'test' },
    });
    expect(await new MergeAppends(reads).list()).toEqual([]);
    await ledgerOn(store, reads).ready();
    expect(await typesOf(store, 'c-survivor')).toEqual(['CustomerRegistered', 'CustomerMerged']);
  });

  it('strikes out at startup a merge that died before its first append: nothing happened, nothing to undo', async () => {
    const store = createSqliteEventStore({ file: ':memory:' });
    const reads = createSqliteReadStore(':memory:');
    const { ledger, ready } = ledgerOn(store, reads);
    await ready();
    await ledger.execute([register('c-survivor'), register('c-duplicate')], context);
    const unfinished = new MergeAppends(reads);
    await unfinished.begin([{ survivorId: 'c-survivor', duplicateId: 'c-duplicate', context }]);

    await ledgerOn(store, reads).ready();

    expect(await typesOf(store, 'c-duplicate')).toEqual(['CustomerRegistered']);
    expect(await typesOf(store, 'c-survivor')).toEqual(['CustomerRegistered']);
    expect(await unfinished.list()).toEqual([]);
  });
});
