import { randomUUID } from 'node:crypto';
import { Client } from 'pg';

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
