import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError, loadConfig } from './ledger-config';

describe('loadConfig', () => {
  const dataDir = () => mkdtempSync(join(tmpdir(), 'ledger-config-'));

  it('applies defaults and generates a master key file readable by the owner only', () => {
    const dir = dataDir();
    const config = loadConfig({ DATA_DIR: dir });

    expect(config).toMatchObject({
      port: 3000,
      ledgerCurrency: 'EUR',
      logLevel: 'info',
      masterKeyGenerated: true,
    });
    expect(config.masterKey).toHaveLength(32);
    expect(statSync(join(dir, 'master.key')).mode & 0o777).toBe(0o600);
    expect(loadConfig({ DATA_DIR: dir }).masterKey.equals(config.masterKey)).toBe(true);
    expect(readFileSync(join(dir, 'master.key'), 'utf8')).toBe(config.masterKey.toString('base64'));
  });

  it('takes valid values from the environment', () => {
    const key = randomBytes(32).toString('base64');
    const config = loadConfig({
      PORT: '8080',
      LEDGER_CURRENCY: 'GBP',
      LEDGER_MASTER_KEY: key,
      DATA_DIR: dataDir(),
    });
    expect(config).toMatchObject({ port: 8080, ledgerCurrency: 'GBP', masterKeyGenerated: false });
    expect(config.masterKey.toString('base64')).toBe(key);
  });

  it('reports every bad value with a clear message', () => {
    let error: ConfigurationError | undefined;
    try {
      loadConfig({
        PORT: 'eighty',
        LEDGER_CURRENCY: 'euro',
        LEDGER_MASTER_KEY: randomBytes(16).toString('base64'),
        LOG_LEVEL: 'loud',
        MONGO_URL: 'mysql://localhost/ledger',
        LEDGER_RETENTION: 'CustomerRegistered=5',
      });
    } catch (thrown) {
      error = thrown as ConfigurationError;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error!.problems).toEqual(
      expect.arrayContaining([
        'PORT must be an integer from 1 to 65535',
        'LEDGER_CURRENCY must be an ISO 4217 currency code such as EUR',
        'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
        'LEDGER_MASTER_KEY must decode to 32 bytes, not 16',
        expect.stringContaining('MONGO_URL must be a MongoDB connection string'),
        expect.stringContaining('LEDGER_RETENTION: "CustomerRegistered=5" must be TYPE=DAYS'),
      ]),
    );
  });

  it('loads API keys and reports each bad entry of the keys file', () => {
    const dir = dataDir();
    const good = join(dir, 'keys.json');
    writeFileSync(
      good,
      JSON.stringify([{ principal: 'alice', roles: ['rep', 'auditor'], keySha256: 'A'.repeat(64) }]),
    );
    expect(loadConfig({ DATA_DIR: dir, LEDGER_API_KEYS_FILE: good }).apiKeys).toEqual([
      { principal: 'alice', roles: ['rep', 'auditor'], keySha256: 'a'.repeat(64) },
    ]);

    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify([{ principal: 'bob smith', roles: ['root'], keySha256: 'xyz' }]));
    expect(() => loadConfig({ DATA_DIR: dir, LEDGER_API_KEYS_FILE: bad })).toThrow(
      /principal must be.*\n.*roles must be.*\n.*keySha256 must be/s,
    );
    expect(() => loadConfig({ DATA_DIR: dir, LEDGER_API_KEYS_FILE: join(dir, 'missing.json') })).toThrow(
      /does not exist/,
    );
  });
});
