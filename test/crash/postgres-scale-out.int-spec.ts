import { ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECTIONS } from '../../projections/catalog';
import { createPostgresReadStore } from '../../src/adapters/postgres/postgres-read-store';
import { collectionName } from '../../src/application/read-models/projection-engine';
import { startLedgerCli } from '../support/ledger-cli';
import { LedgerProcess } from '../support/ledger-process';
import {
  PrivatePostgres,
  reportPostgresSkipped,
  testDatabases,
  testDatabaseUrl,
  withClient,
  lastPosition,
  rebuildInto,
  documents,
} from '../support/postgres';

/**
 * Scale-out on PostgreSQL, with real processes: three ingest-only service instances (LEDGER_PROJECTIONS=off,
 * one database, one master key, three ports) and a projector (`ledger project`). Nine clients send batches
 * and single touchpoints with their own event ids, across many customers (some written by every client at
 * once, through all three instances), filing and resolving complaints, and retry every failed request with
 * the same ids on the next instance (at least once, as a client does). Mid-load one instance is killed with
 * SIGKILL and started again, and the database server itself is restarted (pg_ctl restart). Afterwards: every
 * acknowledged event stored exactly once where its answer said, nothing stored twice, positions and every
 * stream's revisions dense, the whole log verifies, resending everything appends nothing, and the read models
 * the projector folded through all of it equal a rebuild from scratch, with no parked event.
 *
 * The server restart needs a cluster of the test's own (PrivatePostgres, from TEST_POSTGRES_BIN, which
 * .ci/postgres.sh sets): restarting the shared TEST_DATABASE_URL server would break the suites beside it.
 * Without one the test runs on TEST_DATABASE_URL and skips that step, saying so.
 */
reportPostgresSkipped('PostgreSQL scale-out');
const noPrivateCluster = testDatabaseUrl ? PrivatePostgres.unavailable() : undefined;
if (noPrivateCluster) {
  console.log(`PostgreSQL scale-out: the database-server restart is skipped: ${noPrivateCluster}`);
}
const describeWithServer = testDatabaseUrl ? describe : describe.skip;
const reason = testDatabaseUrl ? '' : ' (skipped: TEST_DATABASE_URL is not set)';

const CLIENTS = 9;
const OWNED_CUSTOMERS = 12;
const SHARED_CUSTOMERS = 8;
/** Attempts per request before the test gives up on it (about 4 minutes of pauses at most). */
const MAX_ATTEMPTS = 300;
const MAX_ROUNDS = 20_000;

type Phase = 'steady' | 'instance killed' | 'instance restarted' | 'server restarting' | 'server restarted';

interface SentRequest {
  readonly path: string;
  readonly body: unknown;
  /** The client's event ids, in the order of the answer's results. */
  readonly eventIds: readonly string[];
  readonly customerIds: readonly string[];
}

interface Acknowledged {
  readonly customerId: string;
  readonly position: number;
  readonly streamRevision: number;
}

interface Answer {
  readonly eventId: string;
  readonly position: number;
  readonly streamRevision: number;
  readonly duplicate: boolean;
}

describeWithServer(`three ingest processes and a projector on one PostgreSQL${reason}`, () => {
  // Made in beforeAll: the body of a skipped describe still runs, and would leave the directory behind.
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'ledger-scale-out-'));
  });
  const databases = testDatabases();
  const masterKey = randomBytes(32).toString('base64');
  const basePort = 20000 + Math.floor(Math.random() * 20000);
  const ports = [basePort, basePort + 1, basePort + 2];
  const instances: LedgerProcess[] = [];
  let projector: ChildProcessWithoutNullStreams | undefined;
  let cluster: PrivatePostgres | undefined;
  /** The tail of each child's output, shown when the test fails. */
  const logs = new Map<string, string>();

  /** How often the projector logged a projection lane that failed and folded again. */
  let laneRestarts = 0;
  const keepLog = (name: string, stream: NodeJS.ReadableStream) =>
    stream.on('data', (chunk: Buffer) => {
      logs.set(name, ((logs.get(name) ?? '') + chunk).slice(-6000));
      if (name === 'projector') laneRestarts += chunk.toString().split('projection lane failed').length - 1;
    });

  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.kill('SIGKILL')));
    if (projector && projector.exitCode === null && projector.signalCode === null) {
      await new Promise((resolve) => {
        projector!.once('exit', resolve);
        projector!.kill('SIGKILL');
      });
    }
    if (cluster) await cluster.stop();
    else await databases.dropAll();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const through = noPrivateCluster
    ? 'a kill -9 (no server restart: see above)'
    : 'a kill -9 and a server restart';
  it(`stores every acknowledged event once through ${through}, and folds it as a rebuild does`, async () => {
    let databaseUrl: string;
    if (noPrivateCluster) {
      databaseUrl = (await databases.fresh('ledger_scale_out')).url;
    } else {
      cluster = await PrivatePostgres.start('ledger-scale-out-pg');
      databaseUrl = await cluster.createDatabase('ledger_scale_out');
    }
    const startInstance = async (index: number) => {
      const instance = await LedgerProcess.start({
        DATA_DIR: join(dataDir, `instance-${index}`),
        PORT: ports[index]!,
        LEDGER_MASTER_KEY: masterKey,
        LEDGER_PROJECTIONS: 'off',
        DATABASE_URL: databaseUrl,
      });
      keepLog(`instance ${index} (pid ${instance.child.pid})`, instance.child.stdout!);
      keepLog(`instance ${index} (pid ${instance.child.pid})`, instance.child.stderr!);
      instances[index] = instance;
    };
    try {
      // Together, as a deployment starts them: the stores create their tables one process at a time.
      await Promise.all(ports.map((_, index) => startInstance(index)));
      projector = startLedgerCli(
        { DATA_DIR: join(dataDir, 'projector'), LEDGER_MASTER_KEY: masterKey, DATABASE_URL: databaseUrl },
        ['project'],
      );
      projector.stdin.end();
      keepLog('projector', projector.stdout);
      keepLog('projector', projector.stderr);
      await waitUntil(
        () => (logs.get('projector') ?? '').includes('folding projections'),
        'the projector to start',
        60_000,
      );

      // The load: nine clients, each request to the next instance, every failure retried with the same ids.
      const sent: SentRequest[] = [];
      const acknowledged = new Map<string, Acknowledged>();
      const unexpected: string[] = [];
      const failures = new Map<Phase, number>();
      let phase: Phase = 'steady';
      /** Answers that were duplicates although the request was sent only once before: lost answers. */
      let duplicatesOnRetry = 0;
      let retriedRequests = 0;
      const acknowledgedAfterServerRestart = [0, 0, 0];
      let stop = false;

      const send = async (request: SentRequest, first: number): Promise<void> => {
        sent.push(request);
        for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
          const index = (first + attempt) % instances.length;
          let status: number | undefined;
          let text = '';
          try {
            const response = await fetch(instances[index]!.baseUrl + request.path, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(request.body),
              signal: AbortSignal.timeout(30_000),
            });
            status = response.status;
            text = await response.text();
          } catch {
            // Refused or reset (the instance is down) or timed out: nothing is known, so it is sent again.
          }
          if (status === 200 || status === 201) {
            const body = JSON.parse(text) as Answer & { results?: Answer[] };
            const answers = body.results ?? [body];
            answers.forEach((answer, k) => {
              const eventId = request.eventIds[k]!;
              if (answer.eventId !== eventId)
                unexpected.push(`answer for ${eventId} names ${answer.eventId}`);
              if (answer.duplicate && attempt === 0)
                unexpected.push(`${eventId} was a duplicate when first sent`);
              if (answer.duplicate && attempt > 0) duplicatesOnRetry++;
              acknowledged.set(eventId, {
                customerId: request.customerIds[k]!,
                position: answer.position,
                streamRevision: answer.streamRevision,
              });
            });
            if (attempt > 0) retriedRequests++;
            if (phase === 'server restarted') acknowledgedAfterServerRestart[index]! += answers.length;
            return;
          }
          if (status !== undefined && status < 500) {
            unexpected.push(`POST ${request.path} answered ${status}: ${text.slice(0, 500)}`);
            return;
          }
          failures.set(phase, (failures.get(phase) ?? 0) + 1);
          await sleep(Math.min(1000, 20 * 2 ** Math.min(attempt, 6)));
        }
        unexpected.push(`POST ${request.path} not acknowledged after ${MAX_ATTEMPTS} attempts`);
      };

      const client = async (c: number): Promise<void> => {
        const workload = new Workload(c);
        for (let round = 0; !stop && unexpected.length === 0 && round < MAX_ROUNDS; round++) {
          const { request, onAcknowledged } = workload.next(round);
          await send(request, c + round);
          onAcknowledged();
        }
      };
      const clients = Array.from({ length: CLIENTS }, (_, c) => client(c));
      const started = Date.now();
      const timeline: string[] = [];
      const mark = (what: string) =>
        timeline.push(
          `${((Date.now() - started) / 1000).toFixed(1)} s: ${what} (${acknowledged.size} events)`,
        );
      const grown = async (by: number, what: string, also: () => boolean = () => true) => {
        const target = acknowledged.size + by;
        await waitUntil(
          () => {
            if (unexpected.length > 0) throw new Error(`unexpected answers:\n${unexpected.join('\n')}`);
            return acknowledged.size >= target && also();
          },
          what,
          180_000,
        );
        mark(what);
      };

      try {
        await grown(1500, 'the first 1,500 events');

        phase = 'instance killed';
        await instances[1]!.kill('SIGKILL');
        mark('instance 1 killed');
        await grown(1000, '1,000 more events on the two instances left');
        await startInstance(1);
        phase = 'instance restarted';
        mark('instance 1 started again');
        await grown(1000, '1,000 more events on all three');

        let serverStartedBefore: string | undefined;
        let serverStartedAfter: string | undefined;
        if (cluster) {
          serverStartedBefore = await cluster.startedAt();
          phase = 'server restarting';
          await cluster.restart();
          phase = 'server restarted';
          mark('server restarted');
          serverStartedAfter = await cluster.startedAt();
          await grown(1500, '1,500 more events, some through each instance, after the server restart', () =>
            acknowledgedAfterServerRestart.every((count) => count > 0),
          );
        }
        stop = true;
        await Promise.all(clients);

        console.log(
          `PostgreSQL scale-out: ${sent.length} requests, ${acknowledged.size} events acknowledged; ` +
            `${retriedRequests} requests acknowledged on a retry, ${duplicatesOnRetry} of their events ` +
            `committed before the answer was lost; failed attempts by phase: ` +
            JSON.stringify(Object.fromEntries(failures)) +
            `; projection lanes that failed and folded again: ${laneRestarts}` +
            `\n${timeline.join('\n')}`,
        );
        expect(unexpected).toEqual([]);
        // The kill was felt (requests to the dead instance failed and went elsewhere), and the server restart
        // happened while the clients were sending.
        expect(failures.get('instance killed') ?? 0).toBeGreaterThan(0);
        if (cluster) expect(serverStartedAfter).not.toEqual(serverStartedBefore);
      } finally {
        stop = true;
        await Promise.all(clients);
      }

      // Every request was acknowledged in the end: every event id sent is acknowledged.
      const sentIds = sent.flatMap((request) => request.eventIds);
      expect(new Set(sentIds).size).toBe(sentIds.length);
      expect(sentIds.filter((eventId) => !acknowledged.has(eventId))).toEqual([]);

      // Stored exactly once, where the answer said; nothing else in the customer streams; dense everything.
      const log = await withClient(databaseUrl, async (db) => {
        const events = await db.query<{
          event_id: string;
          stream_id: string;
          stream_revision: string;
          position: string;
        }>(`SELECT event_id::text, stream_id, stream_revision, position FROM events ORDER BY position`);
        const gappedStreams = await db.query<{ stream_id: string }>(
          `SELECT stream_id FROM events GROUP BY stream_id
           HAVING min(stream_revision) <> 0 OR max(stream_revision) <> count(*) - 1`,
        );
        const wrongHeads = await db.query<{ stream_id: string }>(
          `SELECT s.stream_id FROM streams s
           LEFT JOIN (SELECT stream_id, max(stream_revision) AS last FROM events GROUP BY stream_id) e
             USING (stream_id)
           WHERE s.revision <> coalesce(e.last, -1)`,
        );
        const summary = await db.query<{ events: string; last_position: string }>(
          'SELECT events, last_position FROM log_summary',
        );
        return {
          events: events.rows,
          gappedStreams: gappedStreams.rows.map((row) => row.stream_id),
          wrongHeads: wrongHeads.rows.map((row) => row.stream_id),
          summary: summary.rows[0]!,
        };
      });
      const storedById = new Map<string, { streamId: string; revision: number; position: number }>();
      const storedTwice: string[] = [];
      for (const row of log.events) {
        if (storedById.has(row.event_id)) storedTwice.push(row.event_id);
        storedById.set(row.event_id, {
          streamId: row.stream_id,
          revision: Number(row.stream_revision),
          position: Number(row.position),
        });
      }
      expect(storedTwice).toEqual([]);
      const misplaced = [...acknowledged].filter(([eventId, ack]) => {
        const stored = storedById.get(eventId);
        return (
          !stored ||
          stored.streamId !== `customer-${ack.customerId}` ||
          stored.position !== ack.position ||
          stored.revision !== ack.streamRevision
        );
      });
      expect(misplaced).toEqual([]);
      const customerEvents = log.events.filter((row) => row.stream_id.startsWith('customer-'));
      expect(customerEvents).toHaveLength(sentIds.length);
      expect(log.events.map((row) => Number(row.position))).toEqual(
        Array.from({ length: log.events.length }, (_, i) => i + 1),
      );
      expect(log.gappedStreams).toEqual([]);
      expect(log.wrongHeads).toEqual([]);
      expect(Number(log.summary.events)).toBe(log.events.length);
      expect(Number(log.summary.last_position)).toBe(log.events.length);
      const head = log.events.length;

      // The app's own verification of the whole log: chains, dense positions, every head, the counts.
      const verification = await getJson(instances[0]!, '/v1/audit/verify');
      expect(verification).toMatchObject({ ok: true, events: head });

      // At least once from the client's side: sending every request again, to any instance, appends nothing
      // and answers with the original positions.
      const resent: string[] = [];
      await inParallel(sent, 6, async (request, i) => {
        const response = await instances[i % 3]!.post(request.path, request.body);
        const body = (await response.json()) as Answer & { results?: Answer[] };
        const answers = body.results ?? [body];
        answers.forEach((answer, k) => {
          const ack = acknowledged.get(request.eventIds[k]!)!;
          if (response.status !== 200 || !answer.duplicate || answer.position !== ack.position) {
            resent.push(`${request.eventIds[k]}: ${response.status} ${JSON.stringify(answer)}`);
          }
        });
      });
      expect(resent).toEqual([]);
      expect(await lastPosition(databaseUrl)).toBe(head);

      // The projector folded everything, through the kill and the restart, and parked nothing.
      let status: ProjectionsOverview | undefined;
      await waitUntil(
        async () => {
          status = (await getJson(instances[2]!, '/v1/projections')) as ProjectionsOverview;
          return status.projections.every((projection) => projection.position >= head);
        },
        `the projector to fold up to position ${head}`,
        180_000,
      );
      expect(status!.projections.map((projection) => projection.name).sort()).toEqual(
        PROJECTIONS.map((projection) => projection.name).sort(),
      );
      expect(status!.parked).toBe(0);
      expect(status!.projections.filter((projection) => projection.lastError)).toEqual([]);

      // ...into the same documents as a rebuild from scratch into a schema of its own.
      const rebuilt = await rebuildInto(databaseUrl, `rebuild_${randomUUID().slice(0, 8)}`);
      const folded = await createPostgresReadStore({ connectionString: databaseUrl });
      try {
        for (const projection of PROJECTIONS) {
          const generation = status!.projections.find((p) => p.name === projection.name)!.generation;
          const [live, scratch] = await Promise.all([
            documents(folded, collectionName(projection.name, generation)),
            documents(rebuilt, collectionName(projection.name, 1)),
          ]);
          expect({ projection: projection.name, documents: live.length }).toEqual({
            projection: projection.name,
            documents: scratch.length,
          });
          expect(live).toEqual(scratch);
        }
        const summaries = status!.projections.find((p) => p.name === 'customer-summary')!;
        expect(await documents(folded, collectionName(summaries.name, summaries.generation))).toHaveLength(
          CLIENTS * OWNED_CUSTOMERS + SHARED_CUSTOMERS,
        );
      } finally {
        await folded.close();
        await rebuilt.close();
      }
      // No process died on the way (a server restart once crashed every one of them).
      const alive = (child: { exitCode: number | null; signalCode: NodeJS.Signals | null }) =>
        child.exitCode === null && child.signalCode === null;
      expect(instances.map((instance) => alive(instance.child))).toEqual([true, true, true]);
      expect(alive(projector)).toBe(true);
    } catch (error) {
      for (const [name, output] of logs) console.log(`--- ${name}, last output:\n${output}`);
      throw error;
    }
  }, 900_000);
});

interface ProjectionsOverview {
  readonly head: number;
  readonly parked: number;
  readonly projections: readonly {
    name: string;
    generation: number;
    position: number;
    lastError?: unknown;
  }[];
}

/**
 * What one client sends, round by round: registrations of its own customers, batches across its own and the
 * shared customers (the shared ones are written by every client, through every instance, at once), single
 * touchpoints, and complaints filed and later resolved (a resolution is sent only once the filing was
 * acknowledged, as a real client would). Bodies carry their occurredAt, so a retry is byte for byte the same.
 */
class Workload {
  private readonly owned: string[];
  private readonly open: { customerId: string; complaintId: string }[] = [];
  private complaints = 0;
  private counter = 0;

  constructor(private readonly client: number) {
    this.owned = Array.from({ length: OWNED_CUSTOMERS }, (_, k) => `so-${client}-${k}`);
  }

  next(round: number): { request: SentRequest; onAcknowledged: () => void } {
    const none = () => undefined;
    const own = this.owned[round % OWNED_CUSTOMERS]!;
    const shared = `so-shared-${(round + this.client) % SHARED_CUSTOMERS}`;
    switch (round % 6) {
      case 0: {
        const k = round / 6;
        if (k < OWNED_CUSTOMERS)
          return { request: this.registration(this.owned[k]!, round), onAcknowledged: none };
        return { request: this.single(this.touchpoint(shared, 'purchase', round)), onAcknowledged: none };
      }
      case 1: {
        const size = 10 + ((round * 7) % 51);
        const customers = [own, this.owned[(round + 5) % OWNED_CUSTOMERS]!, shared];
        const touchpoints = Array.from({ length: size }, (_, i) =>
          this.touchpoint(customers[i % customers.length]!, KINDS[(round + i) % KINDS.length]!, round),
        );
        const resolving = this.open.shift();
        if (resolving) touchpoints.push(this.resolution(resolving, round));
        return { request: this.batch(touchpoints), onAcknowledged: none };
      }
      case 2: {
        const complaint = { customerId: own, complaintId: `${own}-k${this.complaints++}` };
        return {
          request: this.single(this.complaint(complaint, round)),
          onAcknowledged: () => this.open.push(complaint),
        };
      }
      case 3: {
        const resolving = this.open.shift();
        if (resolving)
          return { request: this.single(this.resolution(resolving, round)), onAcknowledged: none };
        return { request: this.single(this.touchpoint(own, 'browse', round)), onAcknowledged: none };
      }
      case 4: {
        // Filed and resolved in one batch: decided in order within the request.
        const complaint = { customerId: own, complaintId: `${own}-k${this.complaints++}` };
        return {
          request: this.batch([
            this.touchpoint(own, 'purchase', round),
            this.complaint(complaint, round),
            this.touchpoint(shared, 'survey', round),
            this.resolution(complaint, round),
          ]),
          onAcknowledged: none,
        };
      }
      default:
        return { request: this.single(this.touchpoint(shared, 'purchase', round)), onAcknowledged: none };
    }
  }

  private occurredAt(round: number): string {
    return new Date(Date.UTC(2026, 10, 1) + round * 60_000 + (this.counter % 60) * 1000).toISOString();
  }

  private touchpoint(customerId: string, kind: string, round: number): Touchpoint {
    const n = this.counter++;
    const data: Record<string, unknown> =
      kind === 'browse'
        ? { productId: `p-${n % 50}`, category: 'shoes' }
        : kind === 'commit'
          ? { cartId: `cart-${this.client}-${n}`, value: { amount: 12.5, currency: 'EUR' } }
          : kind === 'purchase'
            ? {
                orderId: `o-${this.client}-${n}`,
                items: [
                  {
                    sku: `SKU-${n % 7}`,
                    quantity: 1 + (n % 3),
                    unitPrice: { amount: 19.99, currency: 'EUR' },
                  },
                ],
              }
            : { kind: 'nps', score: n % 11, comment: 'scale-out comment' };
    return {
      customerId,
      type: kind,
      eventId: randomUUID(),
      occurredAt: this.occurredAt(round),
      channel: 'web',
      data,
    };
  }

  private complaint({ customerId, complaintId }: { customerId: string; complaintId: string }, round: number) {
    return {
      customerId,
      type: 'complaint',
      eventId: randomUUID(),
      occurredAt: this.occurredAt(round),
      channel: 'phone',
      data: { complaintId, category: 'delivery', severity: 'high', description: 'parcel late' },
    };
  }

  private resolution(
    { customerId, complaintId }: { customerId: string; complaintId: string },
    round: number,
  ) {
    return {
      customerId,
      type: 'complaint-resolved',
      eventId: randomUUID(),
      occurredAt: this.occurredAt(round + 1),
      channel: 'phone',
      data: { complaintId, resolution: 'refunded the shipping', satisfied: round % 2 === 0 },
    };
  }

  private registration(customerId: string, round: number): SentRequest {
    const eventId = randomUUID();
    return {
      path: '/v1/customers',
      body: {
        customerId,
        eventId,
        occurredAt: this.occurredAt(round),
        name: `Scale Out ${customerId}`,
        email: `${customerId}@scale-out.example`,
        country: 'DE',
      },
      eventIds: [eventId],
      customerIds: [customerId],
    };
  }

  private single(touchpoint: Touchpoint): SentRequest {
    return {
      path: '/v1/touchpoints',
      body: touchpoint,
      eventIds: [touchpoint.eventId],
      customerIds: [touchpoint.customerId],
    };
  }

  private batch(touchpoints: Touchpoint[]): SentRequest {
    return {
      path: '/v1/touchpoints/batch',
      body: { touchpoints },
      eventIds: touchpoints.map((touchpoint) => touchpoint.eventId),
      customerIds: touchpoints.map((touchpoint) => touchpoint.customerId),
    };
  }
}

const KINDS = ['browse', 'commit', 'purchase', 'survey'] as const;

interface Touchpoint {
  readonly customerId: string;
  readonly type: string;
  readonly eventId: string;
  readonly occurredAt: string;
  readonly channel: string;
  readonly data: Record<string, unknown>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 50 ms until it holds; throws naming `what` after `timeoutMs`. */
async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(50);
  }
}

async function getJson(instance: LedgerProcess, path: string): Promise<unknown> {
  const response = await fetch(instance.baseUrl + path);
  if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

async function inParallel<T>(
  items: readonly T[],
  width: number,
  work: (item: T, index: number) => Promise<void>,
) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const index = next++;
        await work(items[index]!, index);
      }
    }),
  );
}
