import { LedgerConfig } from '../config/ledger-config';
import { chooseBackends } from './persistence.module';

const configWith = (urls: Partial<Pick<LedgerConfig, 'eventStoreUrl' | 'mongoUrl' | 'databaseUrl'>>) =>
  ({ dataDir: '/nowhere', ...urls }) as LedgerConfig;

/** Which backend holds the event store, the key store and the read store. */
const holders = (config: LedgerConfig) => {
  const { eventStore, keyStore, readStore } = chooseBackends(config);
  return [eventStore.name, keyStore.name, readStore.name];
};

const EVENTSTORE_URL = 'esdb://localhost:2113?tls=false';
const MONGO_URL = 'mongodb://localhost:27017/ledger';
const DATABASE_URL = 'postgres://ledger@localhost:5432/ledger';

describe('the backend of each port', () => {
  it.each([
    [{}, ['sqlite', 'sqlite', 'sqlite']],
    [{ databaseUrl: DATABASE_URL }, ['postgresql', 'postgresql', 'postgresql']],
    [{ eventStoreUrl: EVENTSTORE_URL }, ['eventstoredb', 'sqlite', 'sqlite']],
    [{ mongoUrl: MONGO_URL }, ['sqlite', 'mongodb', 'mongodb']],
    [
      { eventStoreUrl: EVENTSTORE_URL, databaseUrl: DATABASE_URL },
      ['eventstoredb', 'postgresql', 'postgresql'],
    ],
    [{ mongoUrl: MONGO_URL, databaseUrl: DATABASE_URL }, ['postgresql', 'mongodb', 'mongodb']],
    [
      { eventStoreUrl: EVENTSTORE_URL, mongoUrl: MONGO_URL, databaseUrl: DATABASE_URL },
      ['eventstoredb', 'mongodb', 'mongodb'],
    ],
  ])('with %j: events, keys, reads on %j', (urls, expected) => {
    expect(holders(configWith(urls))).toEqual(expected);
  });
});
