import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError, loadConfig, startupWarnings } from './ledger-config';

describe('DATABASE_URL', () => {
  const dataDir = () => mkdtempSync(join(tmpdir(), 'ledger-config-'));
  const problemsOf = (env: NodeJS.ProcessEnv): string[] => {
    try {
      loadConfig(env);
    } catch (thrown) {
      if (thrown instanceof ConfigurationError) return thrown.problems;
      throw thrown;
    }
    return [];
  };

  it('takes a postgres:// or postgresql:// URL naming a database', () => {
    expect(
      loadConfig({ DATA_DIR: dataDir(), DATABASE_URL: 'postgres://ledger:secret@db:5432/ledger' })
        .databaseUrl,
    ).toBe('postgres://ledger:secret@db:5432/ledger');
    expect(
      loadConfig({ DATA_DIR: dataDir(), DATABASE_URL: 'postgresql://db/ledger?sslmode=require' }).databaseUrl,
    ).toBe('postgresql://db/ledger?sslmode=require');
    expect(loadConfig({ DATA_DIR: dataDir() }).databaseUrl).toBeUndefined();
  });

  it('refuses anything else with one clear message', () => {
    const message =
      'DATABASE_URL must be a PostgreSQL connection string naming a database, such as postgres://ledger:secret@localhost:5432/ledger';
    for (const url of [
      'mysql://db/ledger',
      'postgres://db',
      'postgres://db/',
      'db:5432/ledger',
      'postgres://[::1/ledger',
    ]) {
      expect(problemsOf({ DATA_DIR: dataDir(), DATABASE_URL: url })).toEqual([message]);
    }
  });

  it('warns when EVENTSTORE_URL and MONGO_URL leave it nothing to store', () => {
    const urls = {
      EVENTSTORE_URL: 'esdb://localhost:2113?tls=false',
      MONGO_URL: 'mongodb://localhost:27017/ledger',
      DATABASE_URL: 'postgres://localhost/ledger',
    };
    const warning = expect.stringMatching(/^DATABASE_URL is set but unused/);
    expect(startupWarnings(loadConfig({ DATA_DIR: dataDir(), ...urls }))).toContainEqual(warning);
    expect(
      startupWarnings(loadConfig({ DATA_DIR: dataDir(), ...urls, MONGO_URL: undefined })),
    ).not.toContainEqual(warning);
  });
});
