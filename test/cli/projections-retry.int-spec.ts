import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECTIONS } from '../../projections/catalog';
import { createSqliteEventStore } from '../../src/adapters/sqlite/sqlite-event-store';
import { aNewEvent } from '../support/events';
import { runLedgerCli } from '../support/ledger-cli';

const ledger = runLedgerCli;

describe('ledger CLI: parked events', () => {
  const directory = mkdtempSync(join(tmpdir(), 'ledger-cli-parked-'));
  const env = {
    DATA_DIR: join(directory, 'data'),
    LEDGER_MASTER_KEY: randomBytes(32).toString('base64'),
  };
  const occurred = (hour: number) => ({
    occurredAt: new Date(Date.UTC(2026, 10, 1, hour)).toISOString(),
    recordedAt: new Date(Date.UTC(2026, 10, 1, hour)).toISOString(),
    actor: 'test',
  });

  beforeAll(async () => {
    const events = createSqliteEventStore({ file: join(env.DATA_DIR, 'events.db') });
    await events.append([
      {
        streamId: 'customer-cli-1',
        expectedRevision: 'any',
        events: [
          aNewEvent({ metadata: occurred(1) }),
          aNewEvent({
            type: 'ComplaintFiled',
            data: { complaintId: 'K-1', severity: 'apocalyptic' },
            metadata: occurred(2),
          }),
          aNewEvent({
            type: 'PurchaseCompleted',
            data: { orderId: 'A-1', total: { amountMinor: 4_200, currency: 'EUR' } },
            metadata: occurred(3),
          }),
        ],
      },
    ]);
    await events.close();
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('retries the parked events, keeps the malformed one parked and exits 1; export-subject and rebuild wait for the read models', async () => {
    // Nothing is folded yet: the export has to wait for the read models to reach the log head.
    const exported = await ledger(env, ['export-subject', 'cli-1']);
    const retry = await ledger(env, ['projections', 'retry']);
    const unknown = await ledger(env, ['projections', 'retry', 'no-such-projection']);
    const rebuilt = await ledger(env, ['rebuild', 'funnel']);

    expect(retry.code).toBe(1);
    const report = JSON.parse(retry.stdout) as {
      retried: { projection: string; stillParked: number; folded: number }[];
      projections: {
        name: string;
        position: number;
        parked: { count: number; events: { error: string }[] };
      }[];
    };
    expect(report.retried).toEqual(
      PROJECTIONS.map(({ name: projection }) => ({
        projection,
        retried: 1,
        folded: 0,
        stillParked: 1,
        newlyParked: 0,
      })),
    );
    for (const projection of report.projections) {
      // Three customer events and the export's entry in the access log.
      expect(projection.position).toBe(4);
      expect(projection.parked.count).toBe(1);
      expect(projection.parked.events[0]!.error).toContain(
        'data.severity must be one of low, medium, high, critical',
      );
    }
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.stdout).readModels.summary).toMatchObject({
      eventCount: 2,
      purchaseCount: 1,
      complaintsFiled: 0,
    });
    // A rebuild folds everything again into a new generation: the malformed event is parked there anew.
    expect(rebuilt.code).toBe(0);
    expect(
      (JSON.parse(rebuilt.stdout) as { name: string }[]).find((status) => status.name === 'funnel'),
    ).toMatchObject({
      generation: 2,
      position: 4,
      lag: 0,
      parked: { count: 1, events: [{ position: 2, type: 'ComplaintFiled', projection: 'funnel' }] },
    });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no projection is named no-such-projection');
  });
});
