import { ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECTIONS } from '../../projections/catalog';
import { createPostgresReadStore } from '../../src/adapters/postgres/postgres-read-store';
import { collectionName, figureCollectionName } from '../../src/application/read-models/projection-engine';
import { startLedgerCli } from '../support/ledger-cli';
import { LedgerProcess } from '../support/ledger-process';
import {
  documents,
  lastPosition,
  rebuildInto,
  reportPostgresSkipped,
  testDatabases,
  testDatabaseUrl,
  withClient,
} from '../support/postgres';

/**
 * Partitioned projectors on PostgreSQL, with real processes: an ingest-only service instance and three
 * `ledger project --partitioned` processes sharing 6 partitions (leases of 2 s). Two start, a third joins
 * (the shares rebalance), then one is killed with SIGKILL while it folds; the others take its partitions over
 * once its leases expire. Writes (touchpoints of every kind, complaints, merges in chains across partitions)
 * go on meanwhile. At the end every document of every projection, and every bucket of every population
 * figure, equals a rebuild from scratch by one projector, and nothing is parked.
 */
reportPostgresSkipped('PostgreSQL partitioned projectors');
const describeWithServer = testDatabaseUrl ? describe : describe.skip;
const reason = testDatabaseUrl ? '' : ' (skipped: TEST_DATABASE_URL is not set)';

const PARTITIONS = 6;
const CUSTOMERS = 120;
const LEASE_MS = 2000;

describeWithServer(`three partitioned projectors on one PostgreSQL${reason}`, () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'ledger-partitions-'));
  });
  const databases = testDatabases();
  const masterKey = randomBytes(32).toString('base64');
  const port = 20000 + Math.floor(Math.random() * 20000);
  let instance: LedgerProcess | undefined;
  const projectors: ChildProcessWithoutNullStreams[] = [];
  const logs = new Map<string, string>();
  const keepLog = (name: string, stream: NodeJS.ReadableStream) =>
    stream.on('data', (chunk: Buffer) => logs.set(name, ((logs.get(name) ?? '') + chunk).slice(-6000)));

  afterAll(async () => {
    await instance?.kill('SIGKILL');
    for (const child of projectors) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      await new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGKILL');
      });
    }
    await databases.dropAll();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  let databaseUrl = '';
  it('share the partitions, take a killed one over, and fold as a rebuild does', async () => {
    databaseUrl = (await databases.fresh('ledger_partitions')).url;
    instance = await LedgerProcess.start({
      DATA_DIR: join(dataDir, 'instance'),
      PORT: port,
      LEDGER_MASTER_KEY: masterKey,
      LEDGER_PROJECTIONS: 'off',
      DATABASE_URL: databaseUrl,
      more: { LEDGER_PROJECTION_PARTITIONS: String(PARTITIONS) },
    });
    const ledger = instance;
    const startProjector = (index: number) => {
      const child = startLedgerCli(
        {
          DATA_DIR: join(dataDir, `projector-${index}`),
          LEDGER_MASTER_KEY: masterKey,
          DATABASE_URL: databaseUrl,
          LEDGER_PROJECTION_LEASE_MS: String(LEASE_MS),
        },
        ['project', '--partitioned'],
      );
      child.stdin.end();
      keepLog(`projector ${index} (pid ${child.pid})`, child.stdout);
      keepLog(`projector ${index} (pid ${child.pid})`, child.stderr);
      projectors.push(child);
      return child;
    };
    const send = async (path: string, body: unknown) => {
      const response = await ledger.post(path, body);
      if (response.status >= 300)
        throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
    };
    const shop = new Shop(send);
    try {
      await shop.register(CUSTOMERS);
      for (let round = 0; round < 12; round++) await shop.round(round);
      await shop.merges(0);

      const [first, second] = [startProjector(0), startProjector(1)];
      await waitUntil(
        async () => (await leaseOwners(databaseUrl)).size === 2,
        'two projectors to share',
        60_000,
      );
      const third = startProjector(2);
      await waitUntil(
        async () => (await leaseOwners(databaseUrl)).size === 3,
        'the third projector to get a share',
        60_000,
      );

      // Writes go on while they fold; the victim is killed once it has committed some of its share.
      const writing = (async () => {
        for (let round = 12; round < 24; round++) await shop.round(round);
        await shop.merges(1);
      })();
      const victim = second;
      const victimHeld = await waitFor(async () => {
        const held = await partitionsOf(databaseUrl, victim.pid!);
        const folded = await foldedPartitions(databaseUrl, held);
        return folded.length > 0 ? held : undefined;
      }, 'the victim to commit a partition');
      victim.kill('SIGKILL');
      const head = async () => lastPosition(databaseUrl);
      const victimTokens = await tokens(databaseUrl, victimHeld);
      await writing;
      // Read-your-writes across partitions: the service reports a position only once every partition passed it.
      const end = await head();
      let status: ProjectionsOverview | undefined;
      await waitUntil(
        async () => {
          status = (await getJson(ledger, '/v1/projections')) as ProjectionsOverview;
          return status.projections.every((projection) => projection.position >= end);
        },
        `the projectors to fold up to position ${end}`,
        180_000,
      );
      expect(status!.parked).toBe(0);

      // The victim's partitions were taken over by the two that live, each with a new token.
      expect(victimHeld.length).toBeGreaterThan(0);
      const after = await tokens(databaseUrl, victimHeld);
      const living = [first.pid!, third.pid!];
      for (const partition of victimHeld) {
        expect(after.get(partition)!.token).toBeGreaterThan(victimTokens.get(partition)!.token);
        expect(living.some((pid) => after.get(partition)!.owner.includes(`-${pid}-`))).toBe(true);
      }

      const rebuilt = await rebuildInto(databaseUrl, `rebuild_${randomUUID().slice(0, 8)}`);
      const folded = await createPostgresReadStore({ connectionString: databaseUrl });
      try {
        for (const projection of PROJECTIONS) {
          const collections: [string, string][] = [
            [collectionName(projection.name, 1), collectionName(projection.name, 1)],
            ...(projection.figures ?? []).map(
              (figure) =>
                [
                  figureCollectionName(projection.name, figure.name, 1),
                  figureCollectionName(projection.name, figure.name, 1),
                ] as [string, string],
            ),
          ];
          for (const [live, scratch] of collections) {
            const [liveDocs, scratchDocs] = await Promise.all([
              documents(folded, live),
              documents(rebuilt, scratch),
            ]);
            expect({ collection: live, documents: liveDocs.length }).toEqual({
              collection: live,
              documents: scratchDocs.length,
            });
            expect(liveDocs).toEqual(scratchDocs);
          }
        }
        // The merges happened, across partitions: the absorbed records' summaries are gone.
        expect(await documents(folded, collectionName('customer-summary', 1))).toHaveLength(
          CUSTOMERS - shop.absorbed,
        );
      } finally {
        await folded.close();
        await rebuilt.close();
      }
    } catch (error) {
      for (const [name, output] of logs) console.log(`--- ${name}, last output:\n${output}`);
      console.log(await projectorState(databaseUrl));
      throw error;
    }
  }, 600_000);
});

interface ProjectionsOverview {
  readonly parked: number;
  readonly projections: readonly { name: string; position: number }[];
}

/**
 * A small shop written through the service: registered customers, rounds of touchpoint batches of every kind
 * with complaints filed and resolved, and merges: pairs first, then chains (a survivor absorbed in turn), so
 * that a merge gathers records of several partitions.
 */
class Shop {
  absorbed = 0;
  private counter = 0;

  constructor(private readonly send: (path: string, body: unknown) => Promise<void>) {}

  async register(count: number): Promise<void> {
    for (let start = 0; start < count; start += 20) {
      await Promise.all(
        Array.from({ length: Math.min(20, count - start) }, (_, k) =>
          this.send('/v1/customers', {
            customerId: customerId(start + k),
            eventId: randomUUID(),
            occurredAt: this.at(start + k),
            name: `Partition ${start + k}`,
            email: `p${start + k}@partitions.example`,
            country: 'DE',
          }),
        ),
      );
    }
  }

  /** A batch for every customer, 4 touchpoints each, some with a complaint filed and one resolved. */
  async round(round: number): Promise<void> {
    const touchpoints = [];
    for (let index = 0; index < CUSTOMERS; index++) {
      const kinds = ['browse', 'commit', 'purchase', 'survey'];
      for (const kind of kinds) touchpoints.push(this.touchpoint(customerId(index), kind, round));
      if ((index + round) % 7 === 0) {
        const complaintId = `k-${index}-${round}`;
        touchpoints.push(this.complaint(customerId(index), complaintId, round));
        if (round % 2 === 0) touchpoints.push(this.resolution(customerId(index), complaintId, round));
      }
    }
    for (let start = 0; start < touchpoints.length; start += 200) {
      await this.send('/v1/touchpoints/batch', { touchpoints: touchpoints.slice(start, start + 200) });
    }
  }

  /** Phase 0: pairs (1 into 0, 4 into 3, ...); phase 1: chains (each pair's survivor into the next survivor). */
  async merges(phase: number): Promise<void> {
    for (let group = 0; group < 10; group++) {
      const [survivor, duplicate] = phase === 0 ? [group * 3, group * 3 + 1] : [group * 3 + 2, group * 3];
      await this.send(`/v1/customers/${customerId(survivor)}/merge`, { duplicateId: customerId(duplicate) });
      this.absorbed++;
    }
  }

  private at(round: number): string {
    return new Date(Date.UTC(2026, 0, 1) + round * 3_600_000 + (this.counter % 3600) * 1000).toISOString();
  }

  private touchpoint(customer: string, kind: string, round: number) {
    const n = this.counter++;
    const data =
      kind === 'browse'
        ? { productId: `p-${n % 40}`, category: 'shoes' }
        : kind === 'commit'
          ? { cartId: `cart-${n}`, value: { amount: 10 + (n % 9), currency: 'EUR' } }
          : kind === 'purchase'
            ? {
                orderId: `o-${n}`,
                items: [
                  {
                    sku: `SKU-${n % 7}`,
                    quantity: 1 + (n % 3),
                    unitPrice: { amount: 19.99, currency: 'EUR' },
                  },
                ],
              }
            : { kind: 'nps', score: n % 11 };
    return {
      customerId: customer,
      type: kind,
      eventId: randomUUID(),
      occurredAt: this.at(round),
      channel: 'web',
      data,
    };
  }

  private complaint(customer: string, complaintId: string, round: number) {
    return {
      customerId: customer,
      type: 'complaint',
      eventId: randomUUID(),
      occurredAt: this.at(round),
      channel: 'phone',
      data: { complaintId, category: 'delivery', severity: 'high', description: 'parcel late' },
    };
  }

  private resolution(customer: string, complaintId: string, round: number) {
    return {
      customerId: customer,
      type: 'complaint-resolved',
      eventId: randomUUID(),
      occurredAt: this.at(round + 1),
      channel: 'phone',
      data: { complaintId, resolution: 'refunded', satisfied: round % 4 === 0 },
    };
  }
}

const customerId = (index: number) => `pp-${index}`;

/** The leases and the partitions' checkpoints, shown when the test fails. */
async function projectorState(databaseUrl: string): Promise<string> {
  return withClient(databaseUrl, async (db) => {
    const leases = await db.query(
      'SELECT *, clock_timestamp() AS now FROM projector_leases ORDER BY partition',
    );
    const checkpoints = await db.query(
      `SELECT name, position FROM checkpoints WHERE name LIKE 'customer-summary%' ORDER BY name`,
    );
    return JSON.stringify({ leases: leases.rows, checkpoints: checkpoints.rows }, null, 1);
  });
}

/** Owners holding a live lease now. */
async function leaseOwners(databaseUrl: string): Promise<Set<string>> {
  return withClient(databaseUrl, async (db) => {
    const exists = await db.query(`SELECT to_regclass('projector_leases') AS t`);
    if (!exists.rows[0].t) return new Set<string>();
    const { rows } = await db.query<{ owner: string }>(
      'SELECT DISTINCT owner FROM projector_leases WHERE owner IS NOT NULL AND expires_at > clock_timestamp()',
    );
    return new Set(rows.map((row) => row.owner));
  });
}

/** The partitions a process (by pid: owners are host-pid-random) holds now. */
async function partitionsOf(databaseUrl: string, pid: number): Promise<number[]> {
  return withClient(databaseUrl, async (db) => {
    const { rows } = await db.query<{ partition: number }>(
      `SELECT partition FROM projector_leases WHERE owner LIKE '%-' || $1 || '-%' AND expires_at > clock_timestamp()
       ORDER BY partition`,
      [String(pid)],
    );
    return rows.map((row) => row.partition);
  });
}

/** Of the partitions, those with a checkpoint committed by a partitioned projector. */
async function foldedPartitions(databaseUrl: string, partitions: readonly number[]): Promise<number[]> {
  if (partitions.length === 0) return [];
  return withClient(databaseUrl, async (db) => {
    const { rows } = await db.query<{ name: string }>(
      `SELECT name FROM checkpoints WHERE name = ANY($1::text[]) AND position > 0`,
      [partitions.map((partition) => `customer-summary@g1#p${partition}`)],
    );
    return rows.map((row) => Number(row.name.split('#p')[1]));
  });
}

async function tokens(
  databaseUrl: string,
  partitions: readonly number[],
): Promise<Map<number, { owner: string; token: number }>> {
  return withClient(databaseUrl, async (db) => {
    const { rows } = await db.query<{ partition: number; owner: string; token: string }>(
      'SELECT partition, owner, token FROM projector_leases WHERE partition = ANY($1::integer[])',
      [partitions],
    );
    return new Map(rows.map((row) => [row.partition, { owner: row.owner, token: Number(row.token) }]));
  });
}

async function getJson(instance: LedgerProcess, path: string): Promise<unknown> {
  const response = await fetch(instance.baseUrl + path);
  if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(50);
  }
}

async function waitFor<T>(value: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await value();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(20);
  }
}
