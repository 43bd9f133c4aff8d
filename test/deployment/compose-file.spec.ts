import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { ROLES, parseApiKeys } from '../../src/config/api-keys';
import { isLoopbackAddress, loadConfig } from '../../src/config/ledger-config';

/**
 * The docker compose wiring, checked without a Docker engine (none runs on the development machines): what
 * `docker compose up` would hand the ledger must let it start keyed, reachable and pointed at the other services.
 */

const ROOT = resolve(__dirname, '..', '..');
const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');

type Service = Record<string, unknown>;
interface ComposeFile {
  services: Record<string, Service>;
}

/** Compose's `${VAR}`, `${VAR:-default}` and `${VAR:?message}`, enough to read this file as compose would. */
function interpolate(text: string, shell: Record<string, string | undefined>): string {
  return text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:-|:\?)([^}]*))?\}/g,
    (_, name: string, operator, rest) => {
      const value = shell[name];
      if (value !== undefined && value !== '') return value;
      if (operator === ':?') throw new Error(`required variable ${name} is missing a value: ${rest}`);
      return operator === ':-' ? rest : '';
    },
  );
}

function environmentOf(service: Service): Record<string, string> {
  const environment = service.environment ?? {};
  const entries = Array.isArray(environment)
    ? environment.map((entry: string) => entry.split(/=(.*)/s).slice(0, 2))
    : Object.entries(environment as Record<string, unknown>);
  return Object.fromEntries(entries.map(([name, value]) => [name, value == null ? '' : String(value)]));
}

/** Container port -> published host port, from the short ('3000:3000') or long ({ target, published }) syntax. */
function publishedPorts(service: Service): Map<number, number> {
  const ports = (service.ports ?? []) as unknown[];
  return new Map(
    ports.map((port): [number, number] => {
      if (typeof port === 'object' && port !== null) {
        const { target, published } = port as { target: number; published: number | string };
        return [Number(target), Number(published)];
      }
      const parts = String(port).split(':');
      return [Number(parts[parts.length - 1]), Number(parts[parts.length - 2])];
    }),
  );
}

/** Container path -> host file of the service's bind mounts, sources resolved as compose does. */
function bindMounts(service: Service, shell: Record<string, string | undefined>): Map<string, string> {
  const mounts = new Map<string, string>();
  for (const volume of (service.volumes ?? []) as unknown[]) {
    let source: string;
    let target: string;
    if (typeof volume === 'object' && volume !== null) {
      const long = volume as { type?: string; source?: string; target: string };
      if (long.type !== 'bind' || !long.source) continue;
      [source, target] = [long.source, long.target];
    } else {
      [source = '', target = ''] = String(volume).split(':');
      // A short-syntax source without a path is a named volume.
      if (!/^[./~]/.test(source) && !source.includes('$')) continue;
    }
    const path = interpolate(source, shell);
    mounts.set(target, isAbsolute(path) ? path : resolve(dirname(COMPOSE_FILE), path));
  }
  return mounts;
}

/**
 * Every way the compose file would give a ledger that cannot be reached, runs open or points nowhere; empty when
 * the wiring holds. `shell` is the environment compose interpolates from.
 */
function ledgerWiringProblems(compose: ComposeFile, shell: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  const ledger = compose.services.ledger;
  if (!ledger) return ['no ledger service'];
  const environment = environmentOf(ledger);

  const port = Number(environment.PORT ?? 3000);
  if (publishedPorts(ledger).get(port) !== port)
    problems.push(`container port ${port} (PORT) is not published as ${port}`);

  if (!environment.HOST || isLoopbackAddress(environment.HOST)) {
    problems.push(
      `HOST ${environment.HOST ?? '(unset: 127.0.0.1)'} is loopback: the published port reaches nothing`,
    );
  }

  if (!/^\$\{LEDGER_MASTER_KEY:\?[^}]+\}$/.test(environment.LEDGER_MASTER_KEY ?? '')) {
    problems.push('LEDGER_MASTER_KEY is not required as ${LEDGER_MASTER_KEY:?message}');
  }

  const keysFile = environment.LEDGER_API_KEYS_FILE;
  const hostKeysFile = keysFile ? bindMounts(ledger, shell).get(keysFile) : undefined;
  if (!keysFile) problems.push('LEDGER_API_KEYS_FILE is not set');
  else if (!hostKeysFile) problems.push(`LEDGER_API_KEYS_FILE ${keysFile} is not a bind-mounted file`);
  else if (!existsSync(hostKeysFile)) problems.push(`the mounted keys file ${hostKeysFile} does not exist`);
  else {
    const { keys, problems: keyProblems } = parseApiKeys(readFileSync(hostKeysFile, 'utf8'));
    problems.push(...keyProblems);
    const missingRoles = ROLES.filter((role) => !keys.some((key) => key.roles.includes(role)));
    if (keys.length === 0 || missingRoles.length > 0) {
      problems.push(`the mounted keys file has no key for ${missingRoles.join(', ')}`);
    }
  }

  for (const [variable, service, containerPort] of [
    ['EVENTSTORE_URL', 'eventstore', 2113],
    ['MONGO_URL', 'mongo', 27017],
  ] as const) {
    const url = environment[variable] ? new URL(environment[variable]) : undefined;
    if (!url || url.hostname !== service || Number(url.port) !== containerPort) {
      problems.push(
        `${variable} ${environment[variable] ?? '(unset)'} does not point at ${service}:${containerPort}`,
      );
    }
    if (!compose.services[service])
      problems.push(`${variable} names a service ${service} that is not defined`);
    if (!Object.keys((ledger.depends_on ?? {}) as object).includes(service)) {
      problems.push(`the ledger does not wait for ${service}`);
    }
  }
  return problems;
}

describe('docker-compose.yml: the ledger service', () => {
  const compose = parse(readFileSync(COMPOSE_FILE, 'utf8')) as ComposeFile;
  const masterKey = randomBytes(32).toString('base64');
  const shell = {
    LEDGER_MASTER_KEY: masterKey,
    LEDGER_API_KEYS_HOST_FILE: './examples/api-keys.sample.json',
  };
  const ledgerEnvironment = () => environmentOf(compose.services.ledger!);

  it('is reachable on its published port, keyed, and pointed at the eventstore and mongo services', () => {
    expect(ledgerWiringProblems(compose, shell)).toEqual([]);
    expect(ledgerEnvironment()).toMatchObject({ HOST: '0.0.0.0', PORT: '3000' });
    // No default keys file: sample keys whose plaintexts are published must never be mounted by accident.
    expect(() => bindMounts(compose.services.ledger!, { LEDGER_MASTER_KEY: masterKey })).toThrow(
      /required variable LEDGER_API_KEYS_HOST_FILE/,
    );
    expect(compose.services.ledger!.volumes).toContain('ledger-data:/app/data');
  });

  it("gives an environment that passes loadConfig, the service's own start-up check", () => {
    const environment = Object.fromEntries(
      Object.entries(ledgerEnvironment()).map(([name, value]) => [name, interpolate(value, shell)]),
    );
    // Inside the container the keys file sits at its mount target; here it is read from its source.
    const hostKeysFile = bindMounts(compose.services.ledger!, shell).get(environment.LEDGER_API_KEYS_FILE!);

    const config = loadConfig({ ...environment, LEDGER_API_KEYS_FILE: hostKeysFile });

    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 3000,
      masterKeyGenerated: false,
      eventStoreUrl: 'esdb://eventstore:2113?tls=false',
      mongoUrl: 'mongodb://mongo:27017/ledger?replicaSet=rs0',
    });
    expect(config.masterKey.toString('base64')).toBe(masterKey);
    expect(
      config.apiKeys
        .map((key) => key.roles)
        .flat()
        .sort(),
    ).toEqual([...ROLES].sort());
  });

  it('stops compose with a message when LEDGER_MASTER_KEY is missing', () => {
    const declared = ledgerEnvironment().LEDGER_MASTER_KEY!;
    expect(() => interpolate(declared, {})).toThrow(
      /required variable LEDGER_MASTER_KEY is missing a value: set/,
    );
    expect(() => interpolate(declared, { LEDGER_MASTER_KEY: '' })).toThrow(/LEDGER_MASTER_KEY/);
  });

  it('ships sample keys whose documented plaintexts match their hashes', () => {
    const sample = parseApiKeys(readFileSync(join(ROOT, 'examples', 'api-keys.sample.json'), 'utf8'));
    expect(sample.problems).toEqual([]);
    expect(sample.keys).toEqual(
      ROLES.map((role) => ({
        principal: `sample-${role}`,
        roles: [role],
        keySha256: createHash('sha256').update(`local-only-sample-${role}-key`).digest('hex'),
      })),
    );
  });

  it('finds a loopback HOST, a dropped keys file or an optional master key', () => {
    const withLedger = (
      change: (ledger: Service, environment: Record<string, string>) => void,
    ): ComposeFile => {
      const copy = structuredClone(compose);
      const environment = environmentOf(copy.services.ledger!);
      change(copy.services.ledger!, environment);
      copy.services.ledger!.environment = environment;
      return copy;
    };

    expect(
      ledgerWiringProblems(
        withLedger((_, env) => (env.HOST = '127.0.0.1')),
        shell,
      ),
    ).toEqual(['HOST 127.0.0.1 is loopback: the published port reaches nothing']);
    expect(
      ledgerWiringProblems(
        withLedger((_, env) => delete env.HOST),
        shell,
      ),
    ).toEqual(['HOST (unset: 127.0.0.1) is loopback: the published port reaches nothing']);
    expect(
      ledgerWiringProblems(
        withLedger((_, env) => delete env.LEDGER_API_KEYS_FILE),
        shell,
      ),
    ).toEqual(['LEDGER_API_KEYS_FILE is not set']);
    expect(
      ledgerWiringProblems(
        withLedger((ledger) => (ledger.volumes = ['ledger-data:/app/data'])),
        shell,
      ),
    ).toEqual(['LEDGER_API_KEYS_FILE /run/secrets/ledger-api-keys.json is not a bind-mounted file']);
    expect(
      ledgerWiringProblems(compose, { ...shell, LEDGER_API_KEYS_HOST_FILE: join(ROOT, 'no-such-keys.json') }),
    ).toEqual([`the mounted keys file ${join(ROOT, 'no-such-keys.json')} does not exist`]);
    expect(
      ledgerWiringProblems(
        withLedger((_, env) => (env.LEDGER_MASTER_KEY = '')),
        shell,
      ),
    ).toEqual(['LEDGER_MASTER_KEY is not required as ${LEDGER_MASTER_KEY:?message}']);
    expect(
      ledgerWiringProblems(
        withLedger((_, env) => (env.PORT = '8080')),
        shell,
      ),
    ).toEqual(['container port 8080 (PORT) is not published as 8080']);
    expect(
      ledgerWiringProblems(
        withLedger((_, env) => (env.MONGO_URL = 'mongodb://localhost:27017/ledger')),
        shell,
      ),
    ).toEqual(['MONGO_URL mongodb://localhost:27017/ledger does not point at mongo:27017']);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

  it('starts the entry point that the build emits and npm run start:prod runs', () => {
    const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const buildConfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8'));
    const baseConfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8'));
    const { outDir, rootDir } = { ...baseConfig.compilerOptions, ...buildConfig.compilerOptions };

    expect(dockerfile).toMatch(/^CMD \["node", "dist\/src\/main\.js"\]$/m);
    expect(packageJson.scripts['start:prod']).toBe('node dist/src/main.js');
    expect(join(outDir, 'src/main.js')).toBe(join('dist', 'src', 'main.js'));
    expect(rootDir).toBe('.');
    expect(buildConfig.include).toContain('src');
    expect(dockerfile).toMatch(/^COPY src \.\/src$/m);
    expect(dockerfile).toMatch(/^EXPOSE 3000$/m);
  });
});

describe('docker-compose.yml: the postgres profile', () => {
  const compose = parse(readFileSync(COMPOSE_FILE, 'utf8')) as ComposeFile;
  const shell = {
    LEDGER_MASTER_KEY: randomBytes(32).toString('base64'),
    LEDGER_API_KEYS_HOST_FILE: './examples/api-keys.sample.json',
  };
  const profilesOf = (service: Service | undefined) => (service?.profiles ?? []) as string[];
  /** A service's environment as compose would hand it over, from the given shell. */
  const interpolatedEnvironment = (name: string, from: Record<string, string | undefined>) =>
    Object.fromEntries(
      Object.entries(environmentOf(compose.services[name]!)).map(([key, value]) => [
        key,
        interpolate(value, from),
      ]),
    );

  it('adds PostgreSQL and a ledger on it, both only in the profile, beside the default services', () => {
    expect(profilesOf(compose.services.postgres)).toEqual(['postgres']);
    expect(profilesOf(compose.services['ledger-postgres'])).toEqual(['postgres']);
    const defaults = Object.entries(compose.services).filter(
      ([, service]) => profilesOf(service).length === 0,
    );
    expect(defaults.map(([name]) => name).sort()).toEqual(['eventstore', 'ledger', 'mongo']);
    expect(compose.services.postgres!.image).toMatch(/^postgres:16/);
    // The database is reachable from the host only: a default password must never face a network.
    expect(compose.services.postgres!.ports).toEqual(['127.0.0.1:5432:5432']);
    // Its own host port, so that it can run beside the default ledger on 3000.
    expect(publishedPorts(compose.services['ledger-postgres']!).get(3000)).toBe(3001);
    expect(compose.services['ledger-postgres']!.depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
    });
  });

  it('points the ledger at the postgres service with the database, user and password it creates', () => {
    const withPassword = { ...shell, POSTGRES_PASSWORD: 'from-the-shell' };
    for (const from of [shell, withPassword]) {
      const database = interpolatedEnvironment('postgres', from);
      const ledger = interpolatedEnvironment('ledger-postgres', from);
      const url = new URL(ledger.DATABASE_URL!);
      expect([url.protocol, url.hostname, Number(url.port), url.pathname]).toEqual([
        'postgres:',
        'postgres',
        5432,
        `/${database.POSTGRES_DB}`,
      ]);
      expect([url.username, url.password]).toEqual([database.POSTGRES_USER, database.POSTGRES_PASSWORD]);
    }
    expect(new URL(interpolatedEnvironment('ledger-postgres', withPassword).DATABASE_URL!).password).toBe(
      'from-the-shell',
    );
  });

  it('gives the ledger an environment that passes loadConfig, with PostgreSQL for every store', () => {
    const environment = interpolatedEnvironment('ledger-postgres', shell);
    const hostKeysFile = bindMounts(compose.services['ledger-postgres']!, shell).get(
      environment.LEDGER_API_KEYS_FILE!,
    );

    const config = loadConfig({ ...environment, LEDGER_API_KEYS_FILE: hostKeysFile });

    expect(config).toMatchObject({ host: '0.0.0.0', port: 3000, masterKeyGenerated: false });
    expect(config.databaseUrl).toBe(environment.DATABASE_URL);
    expect([config.eventStoreUrl, config.mongoUrl]).toEqual([undefined, undefined]);
    expect(
      config.apiKeys
        .map((key) => key.roles)
        .flat()
        .sort(),
    ).toEqual([...ROLES].sort());
    expect(() =>
      interpolate(environmentOf(compose.services['ledger-postgres']!).LEDGER_MASTER_KEY!, {}),
    ).toThrow(/required variable LEDGER_MASTER_KEY/);
  });
});
