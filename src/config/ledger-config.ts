import { plainToInstance, Transform } from 'class-transformer';
import { IsBase64, IsIn, IsInt, IsOptional, IsString, Max, Min, validateSync } from 'class-validator';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { RETAINABLE_EVENT_TYPES } from '../domain/customer-events';
import { ApiKey, parseApiKeys } from './api-keys';
import { ExchangeRates } from '../domain/exchange-rates';
import { parseExchangeRates } from './exchange-rates-file';
import { parseStaffSignIn, StaffSignInConfig } from './staff-sign-in-config';
import { RetentionRule } from '../ports/event-store.port';
import { IsCurrencyCode } from '../validation/validators';

export const LEDGER_CONFIG = Symbol('LEDGER_CONFIG');

/** What the tracking API does with a track event the ledger has no touchpoint for (docs/tracking.md). */
export const TRACKING_UNMAPPED_RULES = ['keep', 'refuse', 'skip'] as const;
export type TrackingUnmappedRule = (typeof TRACKING_UNMAPPED_RULES)[number];

/**
 * The web origins whose pages may call the tracking API from a browser (CORS): `*` for any (the default: a
 * tracker's write key is public in the page anyway, and no credentials are ever allowed), or a list of origins.
 * An empty list allows none.
 */
export type TrackingCorsOrigins = '*' | readonly string[];

/** An origin as browsers send it: scheme, host and an optional port, nothing after. */
const ORIGIN_PATTERN =
  /^https?:\/\/(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)(:\d{1,5})?$/i;

/** LEDGER_TRACKING_CORS_ORIGINS: `*`, `none`, or comma-separated origins such as https://shop.example. */
export function parseTrackingCorsOrigins(value: string | undefined): {
  origins: TrackingCorsOrigins;
  problems: string[];
} {
  const text = (value ?? '').trim();
  if (text === '' || text === '*') return { origins: '*', problems: [] };
  if (text === 'none') return { origins: [], problems: [] };
  const origins = text.split(',').map((origin) => origin.trim());
  const bad = origins.filter((origin) => !ORIGIN_PATTERN.test(origin));
  return {
    origins: origins.map((origin) => origin.toLowerCase()),
    problems: bad.map(
      (origin) =>
        `LEDGER_TRACKING_CORS_ORIGINS: "${origin}" is not an origin such as https://shop.example or http://localhost:8080 (scheme, host, optional port; no path); use * for any or none for no browser page`,
    ),
  };
}

/** The environment as the service reads it; validated once at start. */
class EnvironmentVariables {
  @IsOptional()
  @Transform(({ value }) => (value === undefined || value === '' ? undefined : Number(value)))
  @IsInt({ message: 'PORT must be an integer from 1 to 65535' })
  @Min(1, { message: 'PORT must be an integer from 1 to 65535' })
  @Max(65535, { message: 'PORT must be an integer from 1 to 65535' })
  PORT?: number;

  /** The address to listen on; checked in loadConfig against the API keys. */
  @IsOptional()
  @IsString()
  HOST?: string;

  @IsOptional()
  @IsString()
  DATA_DIR?: string;

  @IsOptional()
  @IsCurrencyCode({ message: 'LEDGER_CURRENCY must be an ISO 4217 currency code such as EUR' })
  LEDGER_CURRENCY?: string;

  /** CSV currency,from,rate: converts other currencies to LEDGER_CURRENCY for the loyalty monetary component. */
  @IsOptional()
  @IsString()
  LEDGER_EXCHANGE_RATES_FILE?: string;

  @IsOptional()
  @IsBase64(undefined, { message: 'LEDGER_MASTER_KEY must be base64 of 32 random bytes' })
  LEDGER_MASTER_KEY?: string;

  @IsOptional()
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    message: 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
  })
  LOG_LEVEL?: string;

  @IsOptional()
  @IsString()
  LEDGER_API_KEYS_FILE?: string;

  @IsOptional()
  @IsIn(['on', 'off'], { message: 'LEDGER_PROJECTIONS must be on or off' })
  LEDGER_PROJECTIONS?: string;

  /** Retention per event type in days, e.g. ProductBrowsed=90,PurchaseCommitted=365. */
  @IsOptional()
  @IsString()
  LEDGER_RETENTION?: string;

  /** Comma-separated base64 master keys that were current before: still accepted until `rotate-master-key`. */
  @IsOptional()
  @IsString()
  LEDGER_PREVIOUS_MASTER_KEYS?: string;

  @IsOptional()
  @IsString()
  EVENTSTORE_URL?: string;

  @IsOptional()
  @IsString()
  MONGO_URL?: string;

  /** PostgreSQL for every port that EVENTSTORE_URL and MONGO_URL leave to it. */
  @IsOptional()
  @IsString()
  DATABASE_URL?: string;

  /** The Ed25519 private key (PEM) that signs anchors; must live outside DATA_DIR. */
  @IsOptional()
  @IsString()
  LEDGER_ANCHOR_KEY_FILE?: string;

  /** Worker threads that answer the heavy reads (profiles, analytics) off the thread that records (docs/operations.md). */
  @IsOptional()
  @Transform(({ value }) => (value === undefined || value === '' ? undefined : Number(value)))
  @IsInt({ message: 'LEDGER_READ_WORKERS must be an integer from 0 to 16' })
  @Min(0, { message: 'LEDGER_READ_WORKERS must be an integer from 0 to 16' })
  @Max(16, { message: 'LEDGER_READ_WORKERS must be an integer from 0 to 16' })
  LEDGER_READ_WORKERS?: number;

  /** Outbound subscriptions: attempts per event before it is parked (docs/subscriptions.md). */
  @IsOptional()
  @Transform(({ value }) => (value === undefined || value === '' ? undefined : Number(value)))
  @IsInt({ message: 'LEDGER_SUBSCRIPTION_MAX_ATTEMPTS must be an integer from 1 to 100' })
  @Min(1, { message: 'LEDGER_SUBSCRIPTION_MAX_ATTEMPTS must be an integer from 1 to 100' })
  @Max(100, { message: 'LEDGER_SUBSCRIPTION_MAX_ATTEMPTS must be an integer from 1 to 100' })
  LEDGER_SUBSCRIPTION_MAX_ATTEMPTS?: number;

  /** Outbound subscriptions: the first pause before a retry, doubled each time up to the maximum. */
  @IsOptional()
  @Transform(({ value }) => (value === undefined || value === '' ? undefined : Number(value)))
  @IsInt({ message: 'LEDGER_SUBSCRIPTION_RETRY_BASE_MS must be an integer from 1 to 3600000' })
  @Min(1, { message: 'LEDGER_SUBSCRIPTION_RETRY_BASE_MS must be an integer from 1 to 3600000' })
  @Max(3_600_000, { message: 'LEDGER_SUBSCRIPTION_RETRY_BASE_MS must be an integer from 1 to 3600000' })
  LEDGER_SUBSCRIPTION_RETRY_BASE_MS?: number;

  /** Outbound subscriptions: the longest pause between two attempts. */
  @IsOptional()
  @Transform(({ value }) => (value === undefined || value === '' ? undefined : Number(value)))
  @IsInt({ message: 'LEDGER_SUBSCRIPTION_RETRY_MAX_MS must be an integer from 1 to 86400000' })
  @Min(1, { message: 'LEDGER_SUBSCRIPTION_RETRY_MAX_MS must be an integer from 1 to 86400000' })
  @Max(86_400_000, { message: 'LEDGER_SUBSCRIPTION_RETRY_MAX_MS must be an integer from 1 to 86400000' })
  LEDGER_SUBSCRIPTION_RETRY_MAX_MS?: number;

  /** Outbound subscriptions: how long one request may take before it counts as failed. */
  @IsOptional()
  @Transform(({ value }) => (value === undefined || value === '' ? undefined : Number(value)))
  @IsInt({ message: 'LEDGER_SUBSCRIPTION_TIMEOUT_MS must be an integer from 100 to 300000' })
  @Min(100, { message: 'LEDGER_SUBSCRIPTION_TIMEOUT_MS must be an integer from 100 to 300000' })
  @Max(300_000, { message: 'LEDGER_SUBSCRIPTION_TIMEOUT_MS must be an integer from 100 to 300000' })
  LEDGER_SUBSCRIPTION_TIMEOUT_MS?: number;

  /**
   * PostgreSQL: the partitions a new log's customer events are split into for partitioned projectors
   * (recorded with the log when its tables are created; docs/postgresql.md, "Scale-out").
   */
  @IsOptional()
  @Transform(({ value }) => (value === undefined || value === '' ? undefined : Number(value)))
  @IsInt({ message: 'LEDGER_PROJECTION_PARTITIONS must be an integer from 1 to 256' })
  @Min(1, { message: 'LEDGER_PROJECTION_PARTITIONS must be an integer from 1 to 256' })
  @Max(256, { message: 'LEDGER_PROJECTION_PARTITIONS must be an integer from 1 to 256' })
  LEDGER_PROJECTION_PARTITIONS?: number;

  /** How long a partitioned projector's lease on a partition lasts without a heartbeat. */
  @IsOptional()
  @Transform(({ value }) => (value === undefined || value === '' ? undefined : Number(value)))
  @IsInt({ message: 'LEDGER_PROJECTION_LEASE_MS must be an integer from 1000 to 600000' })
  @Min(1000, { message: 'LEDGER_PROJECTION_LEASE_MS must be an integer from 1000 to 600000' })
  @Max(600_000, { message: 'LEDGER_PROJECTION_LEASE_MS must be an integer from 1000 to 600000' })
  LEDGER_PROJECTION_LEASE_MS?: number;

  /** Failed authentications one client address may make per minute before it waits (429). */
  @IsOptional()
  @Transform(({ value }) => (value === undefined || value === '' ? undefined : Number(value)))
  @IsInt({ message: 'LEDGER_AUTH_FAILURES_PER_MINUTE must be an integer from 1 to 100000' })
  @Min(1, { message: 'LEDGER_AUTH_FAILURES_PER_MINUTE must be an integer from 1 to 100000' })
  @Max(100_000, { message: 'LEDGER_AUTH_FAILURES_PER_MINUTE must be an integer from 1 to 100000' })
  LEDGER_AUTH_FAILURES_PER_MINUTE?: number;

  /** Outbound subscriptions: private or special-use targets allowed all the same (in-house receivers). */
  @IsOptional()
  @IsString()
  LEDGER_WEBHOOK_ALLOWED_TARGETS?: string;

  /** Tracking API: a track event without a touchpoint mapping is refused (default) or skipped (docs/tracking.md). */
  @IsOptional()
  @IsIn(TRACKING_UNMAPPED_RULES, { message: 'LEDGER_TRACKING_UNMAPPED must be keep, refuse or skip' })
  LEDGER_TRACKING_UNMAPPED?: TrackingUnmappedRule;

  /** Tracking API: the origins whose pages may call it from a browser (parsed by parseTrackingCorsOrigins). */
  @IsOptional()
  @IsString()
  LEDGER_TRACKING_CORS_ORIGINS?: string;
}

/**
 * How outbound subscriptions deliver; every field has a default in the delivery code
 * (src/application/subscriptions/delivery-policy.ts), so tests set only what they need to be fast.
 */
export interface SubscriptionDeliverySettings {
  /** Attempts per event before it is parked (default 8). */
  readonly maxAttempts?: number;
  /** The first pause before a retry, doubled each attempt, with jitter (default 1 s). */
  readonly retryBaseMs?: number;
  /** The longest pause between two attempts (default 5 min). */
  readonly retryMaxMs?: number;
  /** How long one request may take (default 10 s). */
  readonly requestTimeoutMs?: number;
  /** How often the delivering process looks for subscriptions registered or changed elsewhere (default 1 s). */
  readonly pollIntervalMs?: number;
  /**
   * Private or special-use targets webhooks may reach all the same (in-house receivers): IP addresses, CIDR
   * ranges and host names (default none: webhooks go to public addresses only).
   */
  readonly allowedTargets?: readonly string[];
}

export interface LedgerConfig {
  readonly port: number;
  /** The address the HTTP server listens on: loopback unless API keys are configured. */
  readonly host: string;
  readonly dataDir: string;
  /**
   * LEDGER_CURRENCY: the currency the loyalty monetary component converts to when exchange rates are given,
   * and the one of customers without purchases.
   */
  readonly ledgerCurrency: string;
  /**
   * LEDGER_EXCHANGE_RATES_FILE, when set: the dated rates that convert purchases to ledgerCurrency. Without
   * it, each customer's monetary component counts the customer's principal currency (docs/api.md).
   */
  readonly exchangeRates?: ExchangeRates;
  readonly masterKey: Buffer;
  /** True when no LEDGER_MASTER_KEY was given and a key file under dataDir is used instead. */
  readonly masterKeyGenerated: boolean;
  readonly logLevel: string;
  readonly previousMasterKeys: readonly Buffer[];
  readonly retention: readonly RetentionRule[];
  /** Whether this process folds the projections (off: `npm run ledger -- project` does it elsewhere). */
  readonly runProjections: boolean;
  /**
   * LEDGER_READ_WORKERS: worker threads that answer the heavy reads (OFF_THREAD_QUERIES) so that they never
   * hold the thread that records; undefined: one where the machine has a core to spare (0: read in-thread).
   */
  readonly readWorkers?: number;
  /**
   * Whether decrypted data keys are cached (default true). Read workers keep none: an erasure makes the main
   * thread forget its cached key, and a worker never hears of it.
   */
  readonly keepDataKeys?: boolean;
  /** LEDGER_PROJECTION_PARTITIONS: the partitions of a new PostgreSQL log (DEFAULT_LOG_PARTITIONS when absent). */
  readonly projectionPartitions?: number;
  /** LEDGER_PROJECTION_LEASE_MS: a partitioned projector's lease (DEFAULT_LEASE_MS when absent). */
  readonly projectionLeaseMs?: number;
  /** EventStoreDB instead of the embedded event store, when set. */
  readonly eventStoreUrl?: string;
  /** MongoDB instead of the embedded read store and key store, when set. */
  readonly mongoUrl?: string;
  /**
   * PostgreSQL (DATABASE_URL) for the event store, the read store and the key store. The dedicated URLs win
   * for their ports: with EVENTSTORE_URL set the event store is EventStoreDB, with MONGO_URL set the read and
   * key stores are MongoDB, and PostgreSQL keeps whatever is left.
   */
  readonly databaseUrl?: string;
  /** From LEDGER_API_KEYS_FILE; empty means the service runs open, on a loopback address only. */
  readonly apiKeys: readonly ApiKey[];
  /** LEDGER_ANCHOR_KEY_FILE: the private key that signs anchors, outside dataDir. */
  readonly anchorKeyFile?: string;
  /**
   * Whether this process delivers outbound subscriptions; runProjections when absent. The CLI sets it for
   * `ledger project` only, so that short commands never deliver beside the service.
   */
  readonly deliverSubscriptions?: boolean;
  /** LEDGER_SUBSCRIPTION_*: retries, backoff and timeouts of outbound subscriptions. */
  readonly subscriptionDelivery?: SubscriptionDeliverySettings;
  /**
   * LEDGER_AUTH_FAILURES_PER_MINUTE: failed authentications one client address may make in a minute; past it,
   * the address waits for the minute to end (429). Default 20.
   */
  readonly authFailuresPerMinute?: number;
  /** LEDGER_TRACKING_UNMAPPED: unmapped tracker events are kept as EventTracked (the default), refused or skipped. */
  readonly trackingUnmapped?: TrackingUnmappedRule;
  /** LEDGER_TRACKING_CORS_ORIGINS: the origins whose pages may call the tracking API (default `*`, any). */
  readonly trackingCorsOrigins?: TrackingCorsOrigins;
  /** Staff sign in as people (single sign-on, local accounts), when configured: docs/staff-sign-in.md. */
  readonly staffSignIn?: StaffSignInConfig;
}

export class ConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigurationError';
  }
}

/** Reads and validates the environment, with one clear message per bad value. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): LedgerConfig {
  const variables = plainToInstance(EnvironmentVariables, { ...env }, { excludeExtraneousValues: false });
  // A value that is not a number breaks a variable's every numeric rule, each with the same message: once is enough.
  const problems = [
    ...new Set(validateSync(variables).flatMap((error) => Object.values(error.constraints ?? {}))),
  ];
  if (
    variables.EVENTSTORE_URL &&
    !/^(esdb|esdb\+discover|kurrentdb|kdb):\/\//.test(variables.EVENTSTORE_URL)
  ) {
    problems.push(
      'EVENTSTORE_URL must be an EventStoreDB connection string such as esdb://localhost:2113?tls=false',
    );
  }
  if (variables.MONGO_URL && !/^mongodb(\+srv)?:\/\//.test(variables.MONGO_URL)) {
    problems.push(
      'MONGO_URL must be a MongoDB connection string such as mongodb://localhost:27017/ledger?replicaSet=rs0',
    );
  }
  if (variables.DATABASE_URL && !isPostgresUrl(variables.DATABASE_URL)) {
    problems.push(
      'DATABASE_URL must be a PostgreSQL connection string naming a database, such as postgres://ledger:secret@localhost:5432/ledger',
    );
  }
  let masterKey: Buffer | undefined;
  if (variables.LEDGER_MASTER_KEY) {
    masterKey = Buffer.from(variables.LEDGER_MASTER_KEY, 'base64');
    if (masterKey.length !== 32)
      problems.push(`LEDGER_MASTER_KEY must decode to 32 bytes, not ${masterKey.length}`);
  }
  const previousMasterKeys = (variables.LEDGER_PREVIOUS_MASTER_KEYS ?? '')
    .split(',')
    .filter(Boolean)
    .map((text) => Buffer.from(text.trim(), 'base64'));
  if (previousMasterKeys.some((key) => key.length !== 32)) {
    problems.push('LEDGER_PREVIOUS_MASTER_KEYS must be comma-separated base64 keys of 32 bytes each');
  }
  const retention = (variables.LEDGER_RETENTION ?? '')
    .split(',')
    .filter(Boolean)
    .map((rule) => {
      const [type = '', days = ''] = rule.split('=').map((part) => part.trim());
      if (!(RETAINABLE_EVENT_TYPES as readonly string[]).includes(type) || !/^[1-9][0-9]*$/.test(days)) {
        problems.push(
          `LEDGER_RETENTION: "${rule}" must be TYPE=DAYS with TYPE one of ${RETAINABLE_EVENT_TYPES.join(', ')} and DAYS a whole number`,
        );
      }
      return { type, maxAgeDays: Number(days) };
    });
  const ledgerCurrency = variables.LEDGER_CURRENCY ?? 'EUR';
  let exchangeRates: ExchangeRates | undefined;
  if (variables.LEDGER_EXCHANGE_RATES_FILE) {
    if (!existsSync(variables.LEDGER_EXCHANGE_RATES_FILE)) {
      problems.push(`LEDGER_EXCHANGE_RATES_FILE ${variables.LEDGER_EXCHANGE_RATES_FILE} does not exist`);
    } else {
      const parsed = parseExchangeRates(
        readFileSync(variables.LEDGER_EXCHANGE_RATES_FILE, 'utf8'),
        ledgerCurrency,
      );
      problems.push(...parsed.problems);
      exchangeRates = parsed.rates;
    }
  }
  let apiKeys: ApiKey[] = [];
  let keysFileLoaded = false;
  if (variables.LEDGER_API_KEYS_FILE) {
    if (!existsSync(variables.LEDGER_API_KEYS_FILE)) {
      problems.push(`LEDGER_API_KEYS_FILE ${variables.LEDGER_API_KEYS_FILE} does not exist`);
    } else {
      const parsed = parseApiKeys(readFileSync(variables.LEDGER_API_KEYS_FILE, 'utf8'));
      problems.push(...parsed.problems);
      apiKeys = parsed.keys;
      keysFileLoaded = parsed.problems.length === 0;
    }
  }
  const { staffSignIn, problems: signInProblems } = parseStaffSignIn(env);
  problems.push(...signInProblems);
  const host = variables.HOST ?? DEFAULT_HOST;
  if (!isBindAddress(host)) {
    problems.push(
      `HOST must be an IP address to listen on, such as 127.0.0.1, or 0.0.0.0 for every interface with API keys; "${host}" is not`,
    );
  } else if (!isLoopbackAddress(host) && apiKeys.length === 0 && !staffSignIn) {
    // A keys file that failed to load has its own messages; the host's is about a service left open.
    if (!variables.LEDGER_API_KEYS_FILE) {
      problems.push(
        `HOST ${host} is not a loopback address, but no API keys are configured: set LEDGER_API_KEYS_FILE, or leave HOST unset (${DEFAULT_HOST}) to run open on this machine only`,
      );
    } else if (keysFileLoaded) {
      problems.push(
        `HOST ${host} is not a loopback address, but LEDGER_API_KEYS_FILE holds no keys: an open service listens on a loopback address only`,
      );
    }
  }
  if (
    variables.LEDGER_ANCHOR_KEY_FILE &&
    isInsideDirectory(resolve(variables.DATA_DIR ?? './data'), variables.LEDGER_ANCHOR_KEY_FILE)
  ) {
    problems.push(
      `LEDGER_ANCHOR_KEY_FILE ${variables.LEDGER_ANCHOR_KEY_FILE} is inside DATA_DIR: whoever can alter the data could then sign anchors for it; keep the key on another disk or host`,
    );
  }
  const allowedTargets = (variables.LEDGER_WEBHOOK_ALLOWED_TARGETS ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of allowedTargets) {
    const problem = allowedTargetProblem(entry);
    if (problem) {
      problems.push(`LEDGER_WEBHOOK_ALLOWED_TARGETS: ${problem}; list them comma-separated`);
    }
  }
  const cors = parseTrackingCorsOrigins(variables.LEDGER_TRACKING_CORS_ORIGINS);
  problems.push(...cors.problems);
  if (problems.length > 0) throw new ConfigurationError(problems);

  const dataDir = resolve(variables.DATA_DIR ?? './data');
  return {
    port: variables.PORT ?? 3000,
    host,
    dataDir,
    ledgerCurrency,
    ...(exchangeRates && { exchangeRates }),
    masterKey: masterKey ?? localMasterKey(dataDir),
    masterKeyGenerated: masterKey === undefined,
    previousMasterKeys,
    retention,
    runProjections: variables.LEDGER_PROJECTIONS !== 'off',
    readWorkers: variables.LEDGER_READ_WORKERS,
    projectionPartitions: variables.LEDGER_PROJECTION_PARTITIONS,
    projectionLeaseMs: variables.LEDGER_PROJECTION_LEASE_MS,
    eventStoreUrl: variables.EVENTSTORE_URL,
    mongoUrl: variables.MONGO_URL,
    databaseUrl: variables.DATABASE_URL,
    logLevel: variables.LOG_LEVEL ?? 'info',
    apiKeys,
    anchorKeyFile: variables.LEDGER_ANCHOR_KEY_FILE && resolve(variables.LEDGER_ANCHOR_KEY_FILE),
    subscriptionDelivery: {
      maxAttempts: variables.LEDGER_SUBSCRIPTION_MAX_ATTEMPTS,
      retryBaseMs: variables.LEDGER_SUBSCRIPTION_RETRY_BASE_MS,
      retryMaxMs: variables.LEDGER_SUBSCRIPTION_RETRY_MAX_MS,
      requestTimeoutMs: variables.LEDGER_SUBSCRIPTION_TIMEOUT_MS,
      allowedTargets,
    },
    trackingUnmapped: variables.LEDGER_TRACKING_UNMAPPED ?? 'keep',
    authFailuresPerMinute: variables.LEDGER_AUTH_FAILURES_PER_MINUTE,
    trackingCorsOrigins: cors.origins,
    staffSignIn,
  };
}

/**
 * Whether the file is (or would be created) inside the directory, following symbolic links on both sides so
 * that a link cannot smuggle a path in or out.
 */
export function isInsideDirectory(directory: string, file: string): boolean {
  const real = (path: string) => (existsSync(path) ? realpathSync(path) : resolve(path));
  const target = existsSync(file) ? realpathSync(file) : join(real(dirname(resolve(file))), basename(file));
  const path = relative(real(directory), target);
  return path === '' || (path !== '..' && !path.startsWith(`..${sep}`) && !isAbsolute(path));
}

/** A postgres:// or postgresql:// URL that parses, as the pg client takes DATABASE_URL. */
function isPostgresUrl(url: string): boolean {
  if (!/^postgres(ql)?:\/\//.test(url)) return false;
  try {
    return new URL(url).pathname.length > 1;
  } catch {
    return false;
  }
}

/**
 * LEDGER_WEBHOOK_ALLOWED_TARGETS: why an entry cannot be one of the allow list of webhook targets.
 */
export function allowedTargetProblem(entry: string): string | undefined {
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  const hostName = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.?)+$/i;
  const valid =
    prefix === undefined
      ? family !== 0 || hostName.test(entry)
      : family !== 0 &&
        rest.length === 0 &&
        /^[0-9]{1,3}$/.test(prefix) &&
        Number(prefix) <= (family === 4 ? 32 : 128);
  return valid
    ? undefined
    : `"${entry}" is neither an IP address, a CIDR range (10.1.0.0/16, fd00::/8) nor a host name`;
}

/** Where the service listens when HOST is not set: this machine only, whether or not keys are configured. */
export const DEFAULT_HOST = '127.0.0.1';

/** An IP literal, or `localhost`: what the server can bind to without a name lookup that might go elsewhere. */
function isBindAddress(host: string): boolean {
  return host === 'localhost' || isIP(host) !== 0;
}

/** Addresses that only this machine can reach: 127.0.0.0/8, ::1 (also IPv4-mapped) and localhost. */
export function isLoopbackAddress(host: string): boolean {
  const address = host.toLowerCase().replace(/^::ffff:/, '');
  if (address === 'localhost' || address === '::1' || address === '0:0:0:0:0:0:0:1') return true;
  return isIP(address) === 4 && address.startsWith('127.');
}

/**
 * What the operator must hear at start, as log messages. Returned rather than logged so that the rule (warn that
 * the service is open only when it is) is tested here and main.ts only prints.
 */
export function startupWarnings(config: LedgerConfig): string[] {
  const warnings: string[] = [];
  if (config.masterKeyGenerated) {
    warnings.push(
      `LEDGER_MASTER_KEY is not set: using a generated master key stored in ${join(config.dataDir, 'master.key')}. Fine for a demo; in production set LEDGER_MASTER_KEY from a secret store.`,
    );
  }
  if (config.databaseUrl && config.eventStoreUrl && config.mongoUrl) {
    warnings.push(
      'DATABASE_URL is set but unused: EVENTSTORE_URL and MONGO_URL take every store (the dedicated URLs win for their ports)',
    );
  }
  if (config.staffSignIn?.oidc?.factorRoles.length === 0) {
    warnings.push(
      'LEDGER_OIDC_FACTOR_ROLES is empty: staff signed in through the identity provider are not asked for a second factor by the ledger',
    );
  }
  if (config.apiKeys.length === 0 && !config.staffSignIn) {
    warnings.push(
      `no API keys are configured (LEDGER_API_KEYS_FILE): the service runs OPEN, without authentication, and listens on ${config.host} only`,
    );
  }
  return warnings;
}

/** The configuration, or a message per bad value on stderr and exit code 2. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): LedgerConfig {
  try {
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
}

/** The embedded default's master key: generated once and kept beside the data, readable by the owner only. */
function localMasterKey(dataDir: string): Buffer {
  const file = join(dataDir, 'master.key');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
}
