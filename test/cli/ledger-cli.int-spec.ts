import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pseudonyms } from '../../src/privacy/pseudonyms';

const ROOT = join(__dirname, '..', '..');
const DATA = join(ROOT, '..', 'shared', 'data');

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Peak resident set size of the CLI process, in bytes. */
  readonly peakRss: number;
}

/** Runs `npm run ledger -- ...` as a child process on the test's data directory. */
function ledger(env: Record<string, string>, args: string[], input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      '/usr/bin/time',
      ['-f', '%M', process.execPath, '-r', 'ts-node/register/transpile-only', 'src/cli.ts', ...args],
      {
        cwd: ROOT,
        env: { ...process.env, ...env },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.end(input ?? '');
    child.on('error', reject);
    child.on('close', (code) => {
      const peakKb = Number(stderr.trim().split('\n').pop());
      resolve({ code: code ?? -1, stdout, stderr, peakRss: peakKb * 1024 });
    });
  });
}

describe('ledger CLI', () => {
  const directory = mkdtempSync(join(tmpdir(), 'ledger-cli-'));
  const env = {
    DATA_DIR: join(directory, 'data'),
    LEDGER_MASTER_KEY: randomBytes(32).toString('base64'),
    LEDGER_CURRENCY: 'USD',
  };
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('imports the REES46 file with a preset, and a re-run appends nothing twice', async () => {
    const file = join(DATA, 'rees46-ecommerce-behavior', '2019-Oct_first17434.csv');
    const first = await ledger(env, ['import', file, '--preset', 'rees46']);
    const again = await ledger(env, ['import', file, '--preset', 'rees46']);

    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({
      rows: 17434,
      accepted: 17434,
      duplicates: 0,
      rejected: 0,
    });
    expect(JSON.parse(again.stdout)).toMatchObject({
      rows: 17434,
      accepted: 0,
      duplicates: 17434,
      rejected: 0,
    });
  });

  it('imports NDJSON and reports rejected lines with reasons and a non-zero exit', async () => {
    const file = join(directory, 'touchpoints.ndjson');
    writeFileSync(
      file,
      [
        JSON.stringify({
          customerId: 'nd-1',
          type: 'survey',
          occurredAt: '2019-10-02T10:00:00Z',
          data: { kind: 'csat', score: 5, comment: 'Wonderful Wilhelmina' },
        }),
        '{"customerId": "nd-1", "type": ',
        JSON.stringify({ customerId: 'nd-1', type: 'survey', data: { kind: 'csat', score: 9 } }),
        JSON.stringify({ customerId: 'nd-1', type: 'complaint-resolved', data: { complaintId: 'never' } }),
        JSON.stringify({
          customerId: 'nd-2',
          type: 'browse',
          occurredAt: '2019-10-02T11:00:00Z',
          data: { productId: 'p-1' },
        }),
      ].join('\n'),
    );
    const run = await ledger(env, ['import', file, '--rejects', join(directory, 'rejects.ndjson')]);
    const summary = JSON.parse(run.stdout);

    expect(run.code).toBe(1);
    expect(summary).toMatchObject({ rows: 5, accepted: 2, rejected: 3 });
    expect(
      summary.firstRejections.map((r: { line: number; problems: { field: string }[] }) => [
        r.line,
        r.problems[0]!.field,
      ]),
    ).toEqual([
      [2, 'line'],
      [3, 'data.score'],
      [4, 'data.complaintId'],
    ]);
    expect(readFileSync(join(directory, 'rejects.ndjson'), 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('exports events pseudonymised by default, with personal data only on request', async () => {
    const pseudonymous = await ledger(env, ['export', '--customers', 'nd-1', '--format', 'ndjson']);
    const identified = await ledger(env, ['export', '--customers', 'nd-1', '--include-personal-data']);
    const csv = await ledger(env, [
      'export',
      '--types',
      'PurchaseCompleted',
      '--format',
      'csv',
      '--out',
      join(directory, 'purchases.csv'),
    ]);

    expect(pseudonymous.stdout).not.toContain('Wilhelmina');
    expect(pseudonymous.stdout).not.toContain('nd-1');
    expect(JSON.parse(pseudonymous.stdout.trim())).toMatchObject({
      pseudonym: new Pseudonyms(Buffer.from(env.LEDGER_MASTER_KEY, 'base64')).of('nd-1'),
      type: 'SurveyAnswered',
      data: { kind: 'csat', score: 5 },
    });
    expect(JSON.parse(identified.stdout.trim())).toMatchObject({
      customerId: 'nd-1',
      data: { comment: 'Wonderful Wilhelmina' },
    });
    const lines = readFileSync(join(directory, 'purchases.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe(
      'position,pseudonym,streamRevision,eventId,type,occurredAt,recordedAt,actor,channel,data',
    );
    expect(lines).toHaveLength(1 + 214);
    expect(csv.code).toBe(0);
  });

  it('shows a customer as of an instant, by occurredAt', async () => {
    const early = JSON.parse(
      (await ledger(env, ['as-of', 'rees46-551377651', '--at', '2019-10-01T00:05:00Z'])).stdout,
    );
    const later = JSON.parse(
      (await ledger(env, ['as-of', 'rees46-551377651', '--at', '2019-10-01T03:00:00Z'])).stdout,
    );

    expect(early.loyalty.components.purchasesInWindow).toBe(1);
    expect(later.loyalty.components.purchasesInWindow).toBeGreaterThan(1);
    expect(later.events).toBeGreaterThan(early.events);
    expect(later.timeline[0].occurredAt >= later.timeline[later.timeline.length - 1].occurredAt).toBe(true);
  });

  it('runs a what-if loyalty formula without touching the live read model and reports tier changes', async () => {
    const module = join(ROOT, 'examples', 'what-if', 'loyalty-recency-heavy.ts');
    const run = await ledger(env, [
      'what-if',
      module,
      '--to',
      '2019-10-01T03:00:00Z',
      '--out',
      join(directory, 'what-if.ndjson'),
    ]);
    const report = JSON.parse(run.stdout);

    expect(report).toMatchObject({
      projection: 'loyalty',
      // the two NDJSON customers of 2019-10-02 are after --to: only live has them
      documents: 4504,
      comparedWith: 'loyalty_g1',
      changed: 0,
      onlyLive: 2,
    });
    expect(
      Object.keys(report.transitions).every((key) =>
        /^(bronze|silver|gold) -> (bronze|silver|gold)$/.test(key),
      ),
    ).toBe(true);
    const written = readFileSync(join(directory, 'what-if.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; doc: { customerId: string } });
    expect(written).toHaveLength(report.documents);
    expect(report.leftOutWithoutConsent).toBe(0);
    expect(written.every(({ id, doc }) => id === doc.customerId && /^p-/.test(id))).toBe(true);
  });

  it('verifies, rebuilds, exports a subject and erases with confirmation', async () => {
    // 17,434 REES46 rows and 2 NDJSON touchpoints, plus the access-log entry of the export with personal data.
    expect(JSON.parse((await ledger(env, ['verify'])).stdout)).toMatchObject({ ok: true, events: 17437 });
    const rebuilt = JSON.parse((await ledger(env, ['rebuild', 'funnel'])).stdout);
    expect(rebuilt.find((status: { name: string }) => status.name === 'funnel')).toMatchObject({
      generation: 2,
    });

    const exported = JSON.parse((await ledger(env, ['export-subject', 'nd-1'])).stdout);
    expect(exported.events[0].data.comment).toBe('Wonderful Wilhelmina');
    // The export with personal data (previous test) and this subject export are both in the access log.
    const again = JSON.parse((await ledger(env, ['export-subject', 'nd-1'])).stdout);
    expect(again.accessLog.map((entry: { resource: string }) => entry.resource)).toEqual(
      expect.arrayContaining(['event-export', 'export']),
    );

    const refused = await ledger(env, ['erase', 'nd-1'], 'someone-else\n');
    expect(refused.code).toBe(1);
    const erased = await ledger(env, ['erase', 'nd-1', '--yes', '--request-id', 'DSR-7']);
    expect(JSON.parse(erased.stdout)).toMatchObject({
      customerId: 'nd-1',
      requestId: 'DSR-7',
      alreadyErased: false,
    });
    const after = JSON.parse((await ledger(env, ['export-subject', 'nd-1'])).stdout);
    expect(after.events[0].data.comment).toBe('[erased]');
  });

  it('imports Olist orders and reviews, joined through their side tables, pseudonymously exportable', async () => {
    const olistEnv = { ...env, DATA_DIR: join(directory, 'olist'), LEDGER_CURRENCY: 'BRL' };
    const folder = join(DATA, 'olist-brazilian-ecommerce');
    const orders = JSON.parse(
      (
        await ledger(olistEnv, [
          'import',
          join(folder, 'olist_orders_dataset.csv'),
          '--preset',
          'olist-orders',
        ])
      ).stdout,
    );
    const reviews = JSON.parse(
      (
        await ledger(olistEnv, [
          'import',
          join(folder, 'olist_order_reviews_dataset.csv'),
          '--preset',
          'olist-reviews',
        ])
      ).stdout,
    );
    const exported = await ledger(olistEnv, ['export', '--types', 'SurveyAnswered']);

    expect(orders).toMatchObject({
      rows: 8135,
      accepted: 8127,
      rejected: 0,
      skipped: { 'order without items': 8 },
    });
    expect(reviews).toMatchObject({ rows: 8225, accepted: 8225, rejected: 0 });
    const answers = exported.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(answers).toHaveLength(8225);
    expect(
      answers.every(
        (answer: { data: { kind: string; comment?: string } }) =>
          answer.data.kind === 'csat' && answer.data.comment === undefined,
      ),
    ).toBe(true);
  });

  it('imports the full UCI Online Retail file (541,909 rows) with flat memory', async () => {
    const ukEnv = {
      ...env,
      DATA_DIR: join(directory, 'uci'),
      LEDGER_CURRENCY: 'GBP',
      NODE_OPTIONS: '--max-old-space-size=192',
    };
    const run = await ledger(ukEnv, [
      'import',
      join(DATA, 'uci-online-retail', 'online_retail.csv.gz'),
      '--preset',
      'uci-online-retail',
    ]);
    const summary = JSON.parse(run.stdout);

    // Four invoices price items in tenths of a penny (0.001 GBP), which the ledger's money rule refuses.
    expect(summary).toMatchObject({
      rows: 541_909,
      accepted: 22_187,
      rejected: 4,
      skipped: { 'no CustomerID': 135_080 },
    });
    expect(run.peakRss).toBeLessThan(320 * 1024 * 1024);
    console.log(`UCI import: peak RSS ${Math.round(run.peakRss / 1048576)} MiB`);
  });
});
