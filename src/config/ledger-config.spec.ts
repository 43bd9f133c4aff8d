import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError, isLoopbackAddress, loadConfig, startupWarnings } from './ledger-config';

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
      trackingCorsOrigins: '*',
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
        LEDGER_TRACKING_CORS_ORIGINS: 'https://shop.example, https://shop.example/checkout',
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
        expect.stringContaining(
          'LEDGER_TRACKING_CORS_ORIGINS: "https://shop.example/checkout" is not an origin',
        ),
      ]),
    );
  });

  it('reads the allow list of webhook targets and names each bad entry', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ledger-config-'));
    const allowed = loadConfig({
      DATA_DIR: dataDir,
      LEDGER_WEBHOOK_ALLOWED_TARGETS: ' 127.0.0.1, 10.20.0.0/16,fd00::/8 ,hooks.internal',
    });
    expect(allowed.subscriptionDelivery?.allowedTargets).toEqual([
      '127.0.0.1',
      '10.20.0.0/16',
      'fd00::/8',
      'hooks.internal',
    ]);
    expect(loadConfig({ DATA_DIR: dataDir }).subscriptionDelivery?.allowedTargets).toEqual([]);
    expect(() =>
      loadConfig({ DATA_DIR: dataDir, LEDGER_WEBHOOK_ALLOWED_TARGETS: '10.0.0.0/33,http://x/,1.2.3.4/8/1' }),
    ).toThrow(
      expect.objectContaining({
        problems: [
          expect.stringContaining('"10.0.0.0/33" is neither an IP address, a CIDR range'),
          expect.stringContaining('"http://x/" is neither'),
          expect.stringContaining('"1.2.3.4/8/1" is neither'),
        ],
      }),
    );
  });

  it('reads the origins allowed to call the tracking API from a browser: any, none, or a list', () => {
    const cors = (value: string) => loadConfig({ DATA_DIR: dataDir(), LEDGER_TRACKING_CORS_ORIGINS: value });
    expect(cors('*').trackingCorsOrigins).toBe('*');
    expect(cors('none').trackingCorsOrigins).toEqual([]);
    expect(cors('https://Shop.example, http://localhost:8080,http://[::1]:81').trackingCorsOrigins).toEqual([
      'https://shop.example',
      'http://localhost:8080',
      'http://[::1]:81',
    ]);
    expect(() => cors('shop.example')).toThrow(/"shop.example" is not an origin/);
    expect(() => cors('https://shop.example/')).toThrow(/is not an origin/);
  });

  it('loads the exchange-rate table against LEDGER_CURRENCY, or says why not', () => {
    const dir = dataDir();
    const file = join(dir, 'rates.csv');
    writeFileSync(file, 'currency,from,rate\nGBP,2011-01-01,1.17\n');
    expect(loadConfig({ DATA_DIR: dir }).exchangeRates).toBeUndefined();
    expect(loadConfig({ DATA_DIR: dir, LEDGER_EXCHANGE_RATES_FILE: file }).exchangeRates).toEqual({
      GBP: [{ from: '2011-01-01', rate: 1.17 }],
    });
    expect(() =>
      loadConfig({ DATA_DIR: dir, LEDGER_CURRENCY: 'GBP', LEDGER_EXCHANGE_RATES_FILE: file }),
    ).toThrow('LEDGER_EXCHANGE_RATES_FILE line 2: GBP is LEDGER_CURRENCY itself, which needs no rate');
    expect(() => loadConfig({ DATA_DIR: dir, LEDGER_EXCHANGE_RATES_FILE: join(dir, 'none.csv') })).toThrow(
      `LEDGER_EXCHANGE_RATES_FILE ${join(dir, 'none.csv')} does not exist`,
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

  describe('HOST and API keys', () => {
    const keysFile = (keys: object[]) => {
      const dir = dataDir();
      const file = join(dir, 'keys.json');
      writeFileSync(file, JSON.stringify(keys));
      return { dir, file };
    };
    const problemsOf = (env: NodeJS.ProcessEnv): string[] => {
      try {
        loadConfig(env);
      } catch (thrown) {
        if (thrown instanceof ConfigurationError) return thrown.problems;
        throw thrown;
      }
      return [];
    };
    const anAdminKey = { principal: 'ops', roles: ['admin'], keySha256: 'b'.repeat(64) };

    it('listens on 127.0.0.1 by default, with or without keys', () => {
      const { dir, file } = keysFile([anAdminKey]);
      expect(loadConfig({ DATA_DIR: dir }).host).toBe('127.0.0.1');
      expect(loadConfig({ DATA_DIR: dir, LEDGER_API_KEYS_FILE: file }).host).toBe('127.0.0.1');
    });

    it('binds to every interface only when API keys are configured', () => {
      const { dir, file } = keysFile([anAdminKey]);
      expect(loadConfig({ DATA_DIR: dir, LEDGER_API_KEYS_FILE: file, HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
      expect(loadConfig({ DATA_DIR: dir, LEDGER_API_KEYS_FILE: file, HOST: '::' }).host).toBe('::');

      expect(problemsOf({ DATA_DIR: dir, HOST: '0.0.0.0' })).toEqual([
        'HOST 0.0.0.0 is not a loopback address, but no API keys are configured: set LEDGER_API_KEYS_FILE, or leave HOST unset (127.0.0.1) to run open on this machine only',
      ]);
      expect(problemsOf({ DATA_DIR: dir, HOST: '10.1.2.3' })).toEqual([
        expect.stringMatching(/^HOST 10\.1\.2\.3 is not a loopback address, but no API keys are configured/),
      ]);
    });

    it('refuses a wide bind when the keys file holds no keys, and does not pile on when it is broken', () => {
      const empty = keysFile([]);
      expect(problemsOf({ DATA_DIR: empty.dir, LEDGER_API_KEYS_FILE: empty.file, HOST: '0.0.0.0' })).toEqual([
        'HOST 0.0.0.0 is not a loopback address, but LEDGER_API_KEYS_FILE holds no keys: an open service listens on a loopback address only',
      ]);
      const broken = keysFile([{ principal: 'ops', roles: ['root'], keySha256: 'b'.repeat(64) }]);
      expect(
        problemsOf({ DATA_DIR: broken.dir, LEDGER_API_KEYS_FILE: broken.file, HOST: '0.0.0.0' }),
      ).toEqual([expect.stringContaining('LEDGER_API_KEYS_FILE[0].roles must be')]);
    });

    it('runs open on any loopback address', () => {
      const dir = dataDir();
      for (const host of ['127.0.0.1', '127.0.0.53', '::1', 'localhost', '::ffff:127.0.0.1']) {
        expect(loadConfig({ DATA_DIR: dir, HOST: host }).host).toBe(host);
      }
    });

    it('rejects a HOST that is not an address to bind to', () => {
      const dir = dataDir();
      for (const host of ['example.org', '0.0.0.0:3000', '300.1.1.1', 'http://0.0.0.0']) {
        expect(problemsOf({ DATA_DIR: dir, HOST: host })).toEqual([
          `HOST must be an IP address to listen on, such as 127.0.0.1, or 0.0.0.0 for every interface with API keys; "${host}" is not`,
        ]);
      }
    });

    it('tells loopback from other addresses', () => {
      expect(
        ['127.0.0.1', '127.255.0.9', '::1', '0:0:0:0:0:0:0:1', 'LOCALHOST'].map(isLoopbackAddress),
      ).toEqual([true, true, true, true, true]);
      expect(
        ['0.0.0.0', '::', '192.168.1.5', '128.0.0.1', 'fe80::1', '::ffff:10.0.0.1'].map(isLoopbackAddress),
      ).toEqual([false, false, false, false, false, false]);
    });

    it('warns that the service runs open only when it is open', () => {
      const { dir, file } = keysFile([anAdminKey]);
      const key = randomBytes(32).toString('base64');
      const open = startupWarnings(loadConfig({ DATA_DIR: dir, LEDGER_MASTER_KEY: key }));
      const keyed = startupWarnings(
        loadConfig({ DATA_DIR: dir, LEDGER_MASTER_KEY: key, LEDGER_API_KEYS_FILE: file, HOST: '0.0.0.0' }),
      );

      expect(open).toEqual([
        'no API keys are configured (LEDGER_API_KEYS_FILE): the service runs OPEN, without authentication, and listens on 127.0.0.1 only',
      ]);
      expect(keyed).toEqual([]);
      expect(startupWarnings(loadConfig({ DATA_DIR: dir, LEDGER_API_KEYS_FILE: file }))).toEqual([
        expect.stringMatching(
          /^LEDGER_MASTER_KEY is not set: using a generated master key stored in .*master\.key/,
        ),
      ]);
    });
  });
});
