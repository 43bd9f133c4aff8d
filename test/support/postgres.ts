import { execFile, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import pino from 'pino';
import { PROJECTIONS } from '../../projections/catalog';
import { createPostgresEventStore } from '../../src/adapters/postgres/postgres-event-store';
import { createPostgresReadStore } from '../../src/adapters/postgres/postgres-read-store';
import { ProjectionEngine } from '../../src/application/read-models/projection-engine';
import { ReadStore } from '../../src/ports/read-store.port';

/**
 * The PostgreSQL server of the PostgreSQL suites: TEST_DATABASE_URL, never DATABASE_URL, because the suites
 * create and drop schemas and databases, and DATABASE_URL in a shell may name a real ledger.
 * `bash .ci/postgres.sh <command>` starts a throwaway server and sets it; `.ci/run` does that for every run.
 */
export const testDatabaseUrl = process.env.TEST_DATABASE_URL;

/** Says once, on stdout, why a PostgreSQL suite does not run here. */
export function reportPostgresSkipped(suite: string): void {
  if (!testDatabaseUrl) {
    console.log(
      `${suite} skipped: TEST_DATABASE_URL is not set (bash .ci/postgres.sh npx jest <paths> runs them on a throwaway server)`,
    );
  }
}

/** Runs `work` on a connection of its own to the given database. */
export async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Fresh schemas for one test file, named after the run so that reruns and parallel files never meet, and
 * dropped with everything in them by `dropAll`.
 */
export function testSchemas(prefix: string) {
  const run = randomUUID().slice(0, 8);
  const created: string[] = [];
  return {
    fresh(): string {
      const name = `${prefix}_${run}_${created.length}`;
      created.push(name);
      return name;
    },
    async dropAll(): Promise<void> {
      if (!testDatabaseUrl || created.length === 0) return;
      await withClient(testDatabaseUrl, async (client) => {
        for (const name of created) await client.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
      });
    },
  };
}

/** A database of its own on the test server (the app's stores then use its public schema), and its URL. */
export async function createTestDatabase(prefix: string): Promise<{ name: string; url: string }> {
  const name = `${prefix}_${randomUUID().slice(0, 8)}`;
  await withClient(testDatabaseUrl!, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(testDatabaseUrl!);
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

export async function dropTestDatabase(name: string): Promise<void> {
  await withClient(testDatabaseUrl!, (client) =>
    client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  );
}

/** Databases for one test file, dropped by `dropAll` (in afterAll) even when a test failed half-way. */
export function testDatabases() {
  const created: string[] = [];
  return {
    async fresh(prefix: string): Promise<{ name: string; url: string }> {
      const database = await createTestDatabase(prefix);
      created.push(database.name);
      return database;
    },
    async dropAll(): Promise<void> {
      for (const name of created) await dropTestDatabase(name);
    },
  };
}

/**
 * How many row versions of a table, live or dead but not yet reclaimed, hold the given bytes: read from the
 * table's pages with pageinspect (a contrib extension that Debian's postgresql package ships; creating it
 * needs a superuser, as the throwaway CI server's user is). Free space inside a page is not looked at.
 */
export async function rowVersionsHolding(client: Client, table: string, bytes: Buffer): Promise<number> {
  await client.query('BEGIN');
  // Test files run in parallel, and CREATE EXTENSION IF NOT EXISTS is not safe against itself.
  await client.query(`SELECT pg_advisory_xact_lock(hashtext('ledger tests'), hashtext('pageinspect'))`);
  await client.query('CREATE EXTENSION IF NOT EXISTS pageinspect SCHEMA public');
  await client.query('COMMIT');
  const { rows } = await client.query<{ versions: string }>(
    `SELECT count(*) AS versions
     FROM generate_series(0, (pg_relation_size($1::regclass) / current_setting('block_size')::int)::int - 1) AS block,
       public.heap_page_items(public.get_raw_page($1::text, block)) AS item
     WHERE item.t_data IS NOT NULL AND position($2::bytea IN item.t_data) > 0`,
    [table, bytes],
  );
  return Number(rows[0]!.versions);
}

/**
 * A PostgreSQL cluster of one test file's own, for a test that restarts the server mid-load: restarting the
 * shared TEST_DATABASE_URL server would break the PostgreSQL suites running beside it in other Jest workers.
 * Made with the binaries `.ci/postgres.sh` names in TEST_POSTGRES_BIN (initdb, pg_ctl), run as
 * TEST_POSTGRES_OWNER when that is set (PostgreSQL refuses to run as root), in a temporary directory, on a
 * free port of 127.0.0.1 only, with trust authentication and C collation, as the CI server is.
 */
export class PrivatePostgres {
  private constructor(
    private readonly bin: string,
    private readonly owner: string | undefined,
    readonly directory: string,
    /** postgres://ledger@127.0.0.1:<port>/postgres */
    readonly url: string,
  ) {}

  /** Why no private cluster can be made here, or undefined when one can. */
  static unavailable(): string | undefined {
    const bin = process.env.TEST_POSTGRES_BIN;
    if (!bin) return 'TEST_POSTGRES_BIN is not set (.ci/postgres.sh sets it with TEST_DATABASE_URL)';
    for (const tool of ['initdb', 'pg_ctl']) {
      if (!existsSync(join(bin, tool))) return `${join(bin, tool)} does not exist`;
    }
    return undefined;
  }

  static async start(prefix: string): Promise<PrivatePostgres> {
    const reason = PrivatePostgres.unavailable();
    if (reason) throw new Error(`no private PostgreSQL cluster: ${reason}`);
    const bin = process.env.TEST_POSTGRES_BIN!;
    const owner = process.env.TEST_POSTGRES_OWNER || undefined;
    const directory = mkdtempSync(join(tmpdir(), `${prefix}-`));
    if (owner) {
      const id = (flag: string) => Number(execFileSync('id', [flag, owner], { encoding: 'utf8' }).trim());
      chownSync(directory, id('-u'), id('-g'));
    }
    chmodSync(directory, 0o700);
    const cluster = new PrivatePostgres(bin, owner, directory, '');
    try {
      await cluster.pgTool('initdb', [
        ...['-D', cluster.dataDirectory, '-U', 'ledger', '--auth=trust', '--encoding=UTF8', '--locale=C'],
        '--no-sync',
      ]);
    } catch (error) {
      rmSync(directory, { recursive: true, force: true });
      throw error;
    }
    // A port free a moment ago may be taken by the time the server binds it: a few tries.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      try {
        await cluster.pgTool('pg_ctl', [
          ...['-D', cluster.dataDirectory, '-l', cluster.logFile, '-w', '-t', '60'],
          ...['-o', `-c listen_addresses=127.0.0.1 -p ${port} -k ${directory}`, 'start'],
        ]);
        return new PrivatePostgres(bin, owner, directory, `postgres://ledger@127.0.0.1:${port}/postgres`);
      } catch (error) {
        if (attempt >= 5) {
          rmSync(directory, { recursive: true, force: true });
          throw error;
        }
      }
    }
  }

  private get dataDirectory(): string {
    return join(this.directory, 'data');
  }

  private get logFile(): string {
    return join(this.directory, 'server.log');
  }

  /** A new database on this cluster, and its URL. */
  async createDatabase(name: string): Promise<string> {
    await withClient(this.url, (client) => client.query(`CREATE DATABASE ${name}`));
    const url = new URL(this.url);
    url.pathname = `/${name}`;
    return url.toString();
  }

  /** When the server (postmaster) last started: changes with every restart. */
  async startedAt(): Promise<string> {
    return withClient(this.url, async (client) => {
      const { rows } = await client.query<{ started: string }>(
        'SELECT pg_postmaster_start_time()::text AS started',
      );
      return rows[0]!.started;
    });
  }

  /**
   * `pg_ctl restart -m fast`: the server ends every session (open transactions roll back), stops and
   * starts again with the same options; resolves once it accepts connections again.
   */
  async restart(): Promise<void> {
    await this.pgTool('pg_ctl', [
      ...['-D', this.dataDirectory, '-l', this.logFile, '-w', '-t', '60', '-m', 'fast'],
      'restart',
    ]);
  }

  /** Stops the server (immediately: it is thrown away) and removes its directory. */
  async stop(): Promise<void> {
    if (existsSync(join(this.dataDirectory, 'postmaster.pid'))) {
      await this.pgTool('pg_ctl', ['-D', this.dataDirectory, '-m', 'immediate', '-w', 'stop']).catch(
        (error: unknown) => console.log(`private PostgreSQL: pg_ctl stop failed: ${String(error)}`),
      );
    }
    rmSync(this.directory, { recursive: true, force: true });
  }

  /** Runs initdb or pg_ctl as the cluster's owner, from a directory the owner can enter. */
  private async pgTool(tool: 'initdb' | 'pg_ctl', args: readonly string[]): Promise<void> {
    const command = join(this.bin, tool);
    const [file, argv] = this.owner
      ? ['runuser', ['-u', this.owner, '--', command, ...args]]
      : [command, [...args]];
    await new Promise<void>((resolve, reject) => {
      execFile(file, argv, { cwd: this.directory, timeout: 120_000 }, (error, stdout, stderr) => {
        if (!error) return resolve();
        const log = existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8').slice(-4000) : '';
        reject(new Error(`${tool} ${args.at(-1)} failed: ${error.message}\n${stdout}${stderr}\n${log}`));
      });
    });
  }
}

/** A TCP port of 127.0.0.1 that nothing listened on a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The last position of the PostgreSQL log at `databaseUrl`. */
export async function lastPosition(databaseUrl: string): Promise<number> {
  return withClient(databaseUrl, async (db) => {
    const { rows } = await db.query<{ last: string | null }>('SELECT max(position) AS last FROM events');
    return Number(rows[0]!.last ?? 0);
  });
}

/** Folds the whole log from scratch, with one projector, into read models in a schema of their own. */
export async function rebuildInto(databaseUrl: string, schema: string): Promise<ReadStore> {
  const events = await createPostgresEventStore({ connectionString: databaseUrl });
  const reads = await createPostgresReadStore({ connectionString: databaseUrl, schema });
  const engine = new ProjectionEngine(events, reads, PROJECTIONS, pino({ level: 'silent' }));
  try {
    await engine.start();
    await engine.caughtUp(180_000);
  } finally {
    await engine.stop();
    await events.close();
  }
  return reads;
}

/** A collection's documents, in the order of their ids. */
export async function documents(reads: ReadStore, collection: string): Promise<object[]> {
  const all: object[] = [];
  for await (const doc of reads.scan<object>(collection)) all.push(doc);
  return all;
}
