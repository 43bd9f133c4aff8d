import { DynamicModule, Module } from '@nestjs/common';
import { join } from 'node:path';
import { LedgerConfig } from '../config/ledger-config';
import { EVENT_STORE, EventStore } from '../ports/event-store.port';
import { OPEN_PROJECTOR_PARTITIONS, ProjectorPartitions } from '../ports/projector-partitions.port';
import { READ_STORE, ReadStore } from '../ports/read-store.port';
import { SUBJECT_KEY_STORE, SubjectKeyStore } from '../ports/subject-key-store.port';
import { withUpcasting } from '../ports/upcasting-event-store';
import { createEventStoreDbEventStore } from '../adapters/eventstoredb/eventstoredb-event-store';
import { createMongoReadStore } from '../adapters/mongodb/mongodb-read-store';
import { createMongoSubjectKeyStore } from '../adapters/mongodb/mongodb-subject-key-store';
import { createPostgresEventStore } from '../adapters/postgres/postgres-event-store';
import { createPostgresProjectorPartitions } from '../adapters/postgres/postgres-projector-partitions';
import { createPostgresReadStore } from '../adapters/postgres/postgres-read-store';
import { createPostgresSubjectKeyStore } from '../adapters/postgres/postgres-subject-key-store';
import { createSqliteEventStore } from '../adapters/sqlite/sqlite-event-store';
import { createSqliteReadStore } from '../adapters/sqlite/sqlite-read-store';
import { createSqliteSubjectKeyStore } from '../adapters/sqlite/sqlite-subject-key-store';

/** A backend the configuration names, and how it opens each port it can hold. */
export interface Backend {
  readonly name: string;
  readonly openEventStore?: () => EventStore | Promise<EventStore>;
  readonly openKeyStore?: () => SubjectKeyStore | Promise<SubjectKeyStore>;
  readonly openReadStore?: () => ReadStore | Promise<ReadStore>;
  /** Partitioned projectors: only where the same backend holds the event store and the read store. */
  readonly openProjectorPartitions?: () => Promise<ProjectorPartitions>;
}

type Opener = 'openEventStore' | 'openKeyStore' | 'openReadStore';
type Holding<O extends Opener> = Backend & Required<Pick<Backend, O>>;

/**
 * The backends the configuration names, in order of precedence: each port is held by the first one that offers
 * it. The dedicated URLs (EVENTSTORE_URL, MONGO_URL) come first, then DATABASE_URL (PostgreSQL, every port), then
 * the embedded SQLite files under the data directory, which are always there. A new backend is one entry here.
 */
export function configuredBackends(config: LedgerConfig): Backend[] {
  const { eventStoreUrl, mongoUrl, databaseUrl, dataDir } = config;
  const backends: (Backend | undefined)[] = [
    eventStoreUrl
      ? { name: 'eventstoredb', openEventStore: () => createEventStoreDbEventStore(eventStoreUrl) }
      : undefined,
    mongoUrl
      ? {
          name: 'mongodb',
          openKeyStore: () => createMongoSubjectKeyStore(mongoUrl),
          openReadStore: () => createMongoReadStore(mongoUrl),
        }
      : undefined,
    databaseUrl
      ? {
          name: 'postgresql',
          openEventStore: () =>
            createPostgresEventStore({
              connectionString: databaseUrl,
              partitions: config.projectionPartitions,
            }),
          openKeyStore: () => createPostgresSubjectKeyStore({ connectionString: databaseUrl }),
          openReadStore: () => createPostgresReadStore({ connectionString: databaseUrl }),
          openProjectorPartitions: () => createPostgresProjectorPartitions({ connectionString: databaseUrl }),
        }
      : undefined,
    {
      name: 'sqlite',
      openEventStore: () => createSqliteEventStore({ file: join(dataDir, 'events.db') }),
      openKeyStore: () => createSqliteSubjectKeyStore(join(dataDir, 'keys.db')),
      openReadStore: () => createSqliteReadStore(join(dataDir, 'read-models.db')),
    },
  ];
  return backends.filter((backend): backend is Backend => backend !== undefined);
}

/** For each port, the backend that holds it: the first in precedence that offers it. */
export function chooseBackends(config: LedgerConfig): {
  readonly eventStore: Holding<'openEventStore'>;
  readonly keyStore: Holding<'openKeyStore'>;
  readonly readStore: Holding<'openReadStore'>;
} {
  const backends = configuredBackends(config);
  const first = <O extends Opener>(opener: O) =>
    backends.find((backend) => backend[opener] !== undefined) as Holding<O>;
  return {
    eventStore: first('openEventStore'),
    keyStore: first('openKeyStore'),
    readStore: first('openReadStore'),
  };
}

/**
 * Persistence: binds the three ports to the backends the configuration chooses, once. Every reader gets events
 * upcast to their current schema; hash verification alone unwraps them (storedEventsOf). The stores are closed
 * by the ledger's lifecycle (LedgerModule), after everything that uses them has stopped.
 */
@Module({})
export class PersistenceModule {
  static forRoot(config: LedgerConfig): DynamicModule {
    const { eventStore, keyStore, readStore } = chooseBackends(config);
    return {
      module: PersistenceModule,
      providers: [
        { provide: EVENT_STORE, useFactory: async () => withUpcasting(await eventStore.openEventStore()) },
        { provide: SUBJECT_KEY_STORE, useFactory: () => keyStore.openKeyStore() },
        { provide: READ_STORE, useFactory: () => readStore.openReadStore() },
        {
          provide: OPEN_PROJECTOR_PARTITIONS,
          useValue: (eventStore === readStore && readStore.openProjectorPartitions) || null,
        },
      ],
      exports: [EVENT_STORE, SUBJECT_KEY_STORE, READ_STORE, OPEN_PROJECTOR_PARTITIONS],
    };
  }
}
