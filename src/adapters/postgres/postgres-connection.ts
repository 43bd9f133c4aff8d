import { Client, Pool, PoolClient } from 'pg';

/** Where a PostgreSQL store keeps its tables. */
export interface PostgresConnectionOptions {
  /** postgres://user:password@host:port/database, as DATABASE_URL holds it. */
  readonly connectionString: string;
  /**
   * A schema of its own, created when missing (tests give each store a fresh one). Absent: the connection's
   * current schema, `public` unless the URL sets a search_path.
   */
  readonly schema?: string;
  /** Most connections the store's pool opens (they are opened on demand and closed when idle). */
  readonly maxConnections?: number;
}

/** Schema names are put into SQL and connection options as they are, so only plain identifiers are taken. */
const PLAIN_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * A connection pool whose connections all use the store's schema. Their transactions are short (a group
 * commit holds the append lock for a few statements), so one left idle for 10 s is ended by the server: a
 * process whose host or network was lost mid-transaction would otherwise keep the lock, and every appender
 * waiting, until TCP gives up. Options set in the URL (`?options=...`) replace these.
 *
 * The pool reports errors of idle connections (the server restarted or closed them) as events: without a
 * listener they would crash the process, and there is nothing to do but let the pool open a fresh
 * connection for the next query.
 */
export function openPool(options: PostgresConnectionOptions, defaultMaxConnections: number): Pool {
  if (options.schema !== undefined && !PLAIN_IDENTIFIER.test(options.schema)) {
    throw new Error(
      `PostgreSQL schema ${JSON.stringify(options.schema)} must be a plain lower-case identifier`,
    );
  }
  const pool = new Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? defaultMaxConnections,
    options: [
      '-c idle_in_transaction_session_timeout=10s',
      ...(options.schema !== undefined ? [`-c search_path=${options.schema}`] : []),
    ].join(' '),
  });
  pool.on('error', () => undefined);
  return pool;
}

/**
 * Runs `work` in a transaction on one connection: committed when it returns, rolled back when it throws.
 *
 * While a connection is checked out the pool no longer listens for its errors, and pg reports an error that
 * arrives between two statements (a server shutting down or restarting ends every session: 57P01) as an
 * `error` event: unheard, it would crash the process. It is heard here; the next statement then fails,
 * and the connection is destroyed rather than put back.
 */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: unknown;
  const onError = (error: unknown) => (broken = error);
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    // A rollback that fails means the connection is gone: it is then destroyed rather than put back.
    await client.query('ROLLBACK').catch((rollbackError: unknown) => (broken = rollbackError));
    throw error;
  } finally {
    client.removeListener('error', onError);
    client.release(broken instanceof Error ? broken : undefined);
  }
}

/**
 * Creates the store's schema and tables, or changes them, one process at a time: `CREATE ... IF NOT EXISTS`
 * run by two processes at once can still fail on the catalog's unique index, and three ingest processes may
 * start together. The lock is a transaction-level advisory lock, released at commit.
 */
export async function migrate(
  pool: Pool,
  options: PostgresConnectionOptions,
  work: (client: PoolClient) => Promise<void>,
): Promise<void> {
  await inTransaction(pool, async (client) => {
    // The two-int key space: the append lock (postgres-event-store.ts) takes a bigint key, never this one.
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('ledger'), hashtext('schema'))`);
    if (options.schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${options.schema}`);
    await work(client);
  });
}

/**
 * One connection that LISTENs on a channel and calls `notified` for each notification, and once it listens (a
 * commit may have come before). When it fails it is dropped and opened again by the next `listen`; the
 * callers' polls cover what was missed meanwhile.
 */
export class ChannelListener {
  private client: Client | undefined;
  private closed = false;

  constructor(
    private readonly connectionString: string,
    private readonly channel: string,
    private readonly notified: () => void,
  ) {}

  listen(): void {
    if (this.client || this.closed) return;
    const client = new Client({ connectionString: this.connectionString });
    this.client = client;
    const drop = () => {
      if (this.client === client) this.client = undefined;
      void client.end().catch(() => undefined);
    };
    client.on('notification', () => this.notified());
    client.on('error', drop);
    client.on('end', drop);
    client
      .connect()
      .then(() => client.query(`LISTEN ${this.channel}`))
      .then(() => this.notified())
      .catch(drop);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }
}
