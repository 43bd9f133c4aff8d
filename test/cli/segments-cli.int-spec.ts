import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pseudonyms } from '../../src/privacy/pseudonyms';
import { runLedgerCli } from '../support/ledger-cli';

/**
 * `ledger segments` and `ledger cohorts` on a small history imported as NDJSON: customer i (1..5) bought i
 * times in month i of 2025 for EUR 100 * i each time, so the segments as of 30 June are known (see
 * reports/rfm.spec.ts): c1 lost, c2 hibernating, c3 needs-attention, c4 loyal, c5 champions.
 */
describe('ledger segments and cohorts', () => {
  const directory = mkdtempSync(join(tmpdir(), 'ledger-segments-cli-'));
  const masterKey = randomBytes(32);
  const env = { DATA_DIR: join(directory, 'data'), LEDGER_MASTER_KEY: masterKey.toString('base64') };
  const pseudonyms = new Pseudonyms(masterKey);
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  beforeAll(async () => {
    const file = join(directory, 'purchases.ndjson');
    const lines = [1, 2, 3, 4, 5].flatMap((i) =>
      Array.from({ length: i }, (_, n) =>
        JSON.stringify({
          customerId: `c${i}`,
          type: 'purchase',
          occurredAt: `2025-0${i}-0${n + 1}T10:00:00Z`,
          data: {
            orderId: `O-${i}-${n}`,
            items: [{ sku: 'S', quantity: 1, unitPrice: { amount: 100 * i, currency: 'EUR' } }],
          },
        }),
      ),
    );
    writeFileSync(file, `${lines.join('\n')}\n`);
    const imported = await runLedgerCli(env, ['import', file]);
    expect(imported.code).toBe(0);
  }, 60_000);

  it('writes one pseudonymous CSV row per member with its segment and scores', async () => {
    const run = await runLedgerCli(env, ['segments', '--as-of', '2025-06-30T00:00:00Z', '--format', 'csv']);
    const [header, ...rows] = run.stdout.trim().split('\n');

    expect(run.code).toBe(0);
    expect(header).toBe(
      'pseudonym,segment,recency,frequency,monetary,recencyDays,purchases,netSpend,currency,asOf',
    );
    expect(rows.map((row) => row.split(',').slice(0, 5).join(','))).toEqual([
      `${pseudonyms.of('c5')},champions,5,5,5`,
      `${pseudonyms.of('c4')},loyal,4,4,4`,
      `${pseudonyms.of('c3')},needs-attention,3,3,3`,
      `${pseudonyms.of('c2')},hibernating,2,2,2`,
      `${pseudonyms.of('c1')},lost,1,1,1`,
    ]);
    expect(run.stdout).not.toMatch(/\bc[1-5]\b/);
  }, 60_000);

  it('prints the report with counts and members as JSON, and cohorts as NDJSON rows', async () => {
    const segments = JSON.parse(
      (await runLedgerCli(env, ['segments', '--as-of', '2025-06-30T00:00:00Z'])).stdout,
    );
    const cohorts = await runLedgerCli(env, [
      'cohorts',
      '--as-of',
      '2025-06-30T00:00:00Z',
      '--format',
      'ndjson',
    ]);
    const rows = cohorts.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));

    expect(segments).toMatchObject({ population: 5, customers: 5, asOf: '2025-06-30T00:00:00.000Z' });
    expect(segments.members).toHaveLength(5);
    // Five cohorts (Jan..May), none of whom bought again in a later month; the matrix ends in May, the last
    // month anybody bought: 4 + 3 + 2 + 1 + 0 rows.
    expect(rows).toHaveLength(10);
    expect(rows[0]).toEqual({
      cohort: '2025-01',
      cohortCustomers: 1,
      cohortRevenue: 100,
      currency: 'EUR',
      month: '2025-02',
      monthsAfterFirstPurchase: 1,
      customersWhoBought: 0,
      share: 0,
    });
  }, 60_000);

  it('refuses an instant that is not one', async () => {
    const run = await runLedgerCli(env, ['segments', '--as-of', 'last-tuesday']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('--as-of must be an ISO 8601 instant');
  }, 60_000);
});
