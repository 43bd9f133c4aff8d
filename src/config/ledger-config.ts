import { plainToInstance, Transform } from 'class-transformer';
import { IsBase64, IsIn, IsInt, IsOptional, IsString, Max, Min, validateSync } from 'class-validator';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RETAINABLE_EVENT_TYPES } from '../../projections/projection';
import { ApiKey, parseApiKeys } from '../auth/roles';
import { RetentionRule } from '../event-store/event-store.port';
import { IsCurrencyCode } from '../http/validators';

export const LEDGER_CONFIG = Symbol('LEDGER_CONFIG');

/** The environment as the service reads it; validated once at start. */
class EnvironmentVariables {
  @IsOptional()
  @Transform(({ value }) => (value === undefined || value === '' ? undefined : Number(value)))
  @IsInt({ message: 'PORT must be an integer from 1 to 65535' })
  @Min(1, { message: 'PORT must be an integer from 1 to 65535' })
  @Max(65535, { message: 'PORT must be an integer from 1 to 65535' })
  PORT?: number;

  @IsOptional()
  @IsString()
  DATA_DIR?: string;

  @IsOptional()
  @IsCurrencyCode({ message: 'LEDGER_CURRENCY must be an ISO 4217 currency code such as EUR' })
  LEDGER_CURRENCY?: string;

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
}

export interface LedgerConfig {
  readonly port: number;
  readonly dataDir: string;
  readonly ledgerCurrency: string;
  readonly masterKey: Buffer;
  /** True when no LEDGER_MASTER_KEY was given and a key file under dataDir is used instead. */
  readonly masterKeyGenerated: boolean;
  readonly logLevel: string;
  readonly previousMasterKeys: readonly Buffer[];
  readonly retention: readonly RetentionRule[];
  /** Whether this process folds the projections (off: `npm run ledger -- project` does it elsewhere). */
  readonly runProjections: boolean;
  /** EventStoreDB instead of the embedded event store, when set. */
  readonly eventStoreUrl?: string;
  /** MongoDB instead of the embedded read store and key store, when set. */
  readonly mongoUrl?: string;
  /** From LEDGER_API_KEYS_FILE; empty means the service runs open on localhost. */
  readonly apiKeys: readonly ApiKey[];
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
  const problems = validateSync(variables).flatMap((error) => Object.values(error.constraints ?? {}));
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
  let apiKeys: ApiKey[] = [];
  if (variables.LEDGER_API_KEYS_FILE) {
    if (!existsSync(variables.LEDGER_API_KEYS_FILE)) {
      problems.push(`LEDGER_API_KEYS_FILE ${variables.LEDGER_API_KEYS_FILE} does not exist`);
    } else {
      const parsed = parseApiKeys(readFileSync(variables.LEDGER_API_KEYS_FILE, 'utf8'));
      problems.push(...parsed.problems);
      apiKeys = parsed.keys;
    }
  }
  if (problems.length > 0) throw new ConfigurationError(problems);

  const dataDir = resolve(variables.DATA_DIR ?? './data');
  return {
    port: variables.PORT ?? 3000,
    dataDir,
    ledgerCurrency: variables.LEDGER_CURRENCY ?? 'EUR',
    masterKey: masterKey ?? localMasterKey(dataDir),
    masterKeyGenerated: masterKey === undefined,
    previousMasterKeys,
    retention,
    runProjections: variables.LEDGER_PROJECTIONS !== 'off',
    eventStoreUrl: variables.EVENTSTORE_URL,
    mongoUrl: variables.MONGO_URL,
    logLevel: variables.LOG_LEVEL ?? 'info',
    apiKeys,
  };
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
