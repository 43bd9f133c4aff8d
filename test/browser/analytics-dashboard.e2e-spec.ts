import { parse as parseCsv } from 'csv-parse/sync';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { BrowserContext, chromium, Page } from 'playwright-core';
import { Role } from '../../src/config/api-keys';
import { IMPORT_PRESETS, RowOutcome, TouchpointInput } from '../../src/interfaces/cli/import-presets';
import { roleApiKeys, writeApiKeysFile } from '../support/api-keys';
import { LedgerProcess } from '../support/ledger-process';
import { freePort } from '../support/free-port';

/**
 * The analyst dashboard (/analytics.html) in a real browser (Debian's chromium through playwright-core)
 * against the real service in a child process. Data, through the batch API with the CLI presets' mappings:
 * the first 142,000 invoice lines of UCI Online Retail (Dec 2010 to Mar 2011, four cohorts; the whole file
 * takes much longer through the API and shows nothing new here), the first 1,500 CFPB complaints and the first 2,000
 * NPS answers. Every chart and table is checked against the API's answer. Screenshots (1366x768, then the full
 * page) go to test-results/screenshots/.
 */
const CHROMIUM = '/usr/bin/chromium';
const ROOT = join(__dirname, '..', '..');
const DATA = join(ROOT, '..', 'shared', 'data');
const SCREENSHOTS = join(ROOT, 'test-results', 'screenshots');

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.warn(`SKIPPED test/browser/analytics-dashboard.e2e-spec.ts: ${CHROMIUM} is missing.`);
}

/** The few browser globals the callbacks below use (the project compiles without the DOM library). */
declare const document: {
  querySelectorAll(selector: string): Iterable<{ textContent: string | null }> & { readonly length: number };
};
declare const Chart: {
  getChart(id: string): { data: { labels?: unknown[]; datasets: { data: unknown[] }[] } } | undefined;
};

const keyOf = (role: Role) => `${role}-${randomBytes(24).toString('hex')}`;

/** The touchpoints a preset makes of the first `limit` rows of a CSV file. */
function touchpointsOf(preset: string, file: string, limit: number): TouchpointInput[] {
  const raw = readFileSync(file);
  const rows: Record<string, string>[] = parseCsv(file.endsWith('.gz') ? gunzipSync(raw) : raw, {
    columns: true,
    bom: true,
    skip_empty_lines: true,
    to: limit,
  });
  const mapping = IMPORT_PRESETS[preset]!({ now: new Date().toISOString(), file });
  const outcomes: RowOutcome[] = rows.map((row, index) => mapping.map(row, index + 2));
  if (mapping.finish) outcomes.push(mapping.finish());
  return outcomes.flatMap((outcome) => outcome.touchpoints.map((t) => t.touchpoint));
}

(haveChromium ? describe : describe.skip)('analyst dashboard in a real browser', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ledger-dashboard-'));
  const profileDir = mkdtempSync(join(tmpdir(), 'ledger-chromium-'));
  const keys = { analyst: keyOf('analyst'), ingest: keyOf('ingest'), rep: keyOf('rep') };
  const pageErrors: string[] = [];
  const otherOrigins: string[] = [];
  let service: LedgerProcess;
  let context: BrowserContext;
  let page: Page;

  async function call(method: string, path: string, key: string, body?: unknown) {
    const response = await fetch(service.baseUrl + path, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  }

  const shot = (name: string, fullPage = false) =>
    page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage });
  const chartLabels = (id: string) => page.evaluate((canvas) => Chart.getChart(canvas)?.data.labels, id);
  const chartData = (id: string) =>
    page.evaluate((canvas) => Chart.getChart(canvas)?.data.datasets[0]?.data, id);
  const texts = (selector: string) =>
    page.evaluate(
      (css) => [...document.querySelectorAll(css)].map((element) => element.textContent ?? ''),
      selector,
    );
  const loaded = () =>
    page.waitForFunction(() =>
      [...document.querySelectorAll('.status')].every(
        (status) => status.textContent && status.textContent !== 'Loading…',
      ),
    );

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const roles = Object.keys(keys) as (keyof typeof keys)[];
    const keysFile = writeApiKeysFile(
      dataDir,
      roleApiKeys(roles, (role) => keys[role]),
    );
    service = await LedgerProcess.start({
      DATA_DIR: dataDir,
      PORT: await freePort(),
      LEDGER_API_KEYS_FILE: keysFile,
      LEDGER_CURRENCY: 'GBP',
    });
    const touchpoints = [
      ...touchpointsOf('uci-online-retail', join(DATA, 'uci-online-retail', 'online_retail.csv.gz'), 142_000),
      ...touchpointsOf(
        'cfpb-complaints',
        join(DATA, 'cfpb-consumer-complaints', 'complaints_sample.csv'),
        1_500,
      ),
      ...touchpointsOf('nps-garden-centre', join(DATA, 'nps-garden-center-survey', 'nps_utf8.csv'), 2_000),
    ];
    // Invoices of many lines make big touchpoints: 200 a batch keeps a body under the 1 MiB limit.
    for (let start = 0; start < touchpoints.length; start += 200) {
      const batch = await call('POST', '/v1/touchpoints/batch', keys.ingest, {
        touchpoints: touchpoints.slice(start, start + 200),
      });
      expect(batch.status).toBe(201);
    }
    for (const deadline = Date.now() + 60_000; ;) {
      const { body } = await call('GET', '/health', keys.analyst);
      if (
        body.checks.projections.every(
          (p: { lag: number; status: string }) => p.lag === 0 && p.status === 'live',
        )
      )
        break;
      if (Date.now() > deadline) throw new Error('the projections did not catch up');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-gpu',
      ],
      viewport: { width: 1366, height: 768 },
      locale: 'en-GB',
      timezoneId: 'UTC',
    });
    context.setDefaultTimeout(20_000);
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => pageErrors.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
        pageErrors.push(`console: ${message.text()}`);
    });
    page.on('request', (request) => {
      if (!request.url().startsWith(service.baseUrl) && !request.url().startsWith('data:'))
        otherOrigins.push(request.url());
    });
  }, 240_000);

  afterAll(async () => {
    await context?.close();
    await service?.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(profileDir, { recursive: true, force: true });
  });

  it('refuses a key without the analyst role', async () => {
    await page.goto(`${service.baseUrl}/analytics.html`);
    await page.getByLabel('API key').fill(keys.rep);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#login-error', { hasText: 'does not have the analyst role' }).waitFor();
  });

  it('draws every panel from the API on first paint, with Chart.js served by the service itself', async () => {
    await page.getByLabel('API key').fill(keys.analyst);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#dashboard').waitFor();
    await loaded();
    await shot('dashboard-01-first-paint');
    await shot('dashboard-02-full-page', true);

    const [funnel, loyalty, rfm, cohorts, satisfaction, complaints] = await Promise.all(
      ['funnel', 'loyalty', 'rfm', 'cohorts', 'satisfaction', 'complaints'].map(
        async (name) => (await call('GET', `/v1/analytics/${name}`, keys.analyst)).body,
      ),
    );
    expect(await chartData('funnel-chart')).toEqual(
      funnel.stages.map((s: { customers: number }) => s.customers),
    );
    expect(await chartData('loyalty-chart')).toEqual(
      loyalty.histogram.map((b: { customers: number }) => b.customers),
    );
    expect(await chartData('nps-chart')).toEqual(
      satisfaction.months.map((m: { nps: { score: number } }) => m.nps.score),
    );
    expect(await chartData('complaints-chart')).toEqual(
      complaints.backlog.byAge.map((b: { complaints: number }) => b.complaints),
    );
    expect(await texts('#rfm-grid td .count')).toEqual(
      rfm.grid.map((cell: { customers: number }) => cell.customers.toLocaleString('en-GB')),
    );
    expect(rfm.customers).toBeGreaterThan(500);
    expect(await texts('#cohort-heatmap tr > th:first-child')).toEqual([
      'cohort',
      ...cohorts.cohorts.map((c: { cohort: string }) => c.cohort),
    ]);
    expect(cohorts.cohorts.length).toBeGreaterThanOrEqual(3);
    expect(satisfaction.overall.nps.answers).toBeGreaterThan(1500);

    // The garden-centre survey has no dates: its answers are undated, dated when loaded, and marked so.
    const undatedMonths = satisfaction.months.filter((m: { undatedAnswers: number }) => m.undatedAnswers > 0);
    expect(undatedMonths.map((m: { month: string }) => m.month)).toEqual([
      new Date().toISOString().slice(0, 7),
    ]);
    expect(satisfaction.undatedAnswers).toBe(satisfaction.overall.nps.answers);
    expect(await chartLabels('nps-chart')).toEqual(
      satisfaction.months.map((m: { month: string; undatedAnswers: number }) =>
        m.undatedAnswers > 0 ? `${m.month} (undated)` : m.month,
      ),
    );
    const npsStatus = await page.locator('[data-status="nps"]').innerText();
    expect(npsStatus).toContain(
      `${satisfaction.undatedAnswers.toLocaleString('en-GB')} answers had no date in their source and are dated when they were imported: ${undatedMonths[0].month}`,
    );

    // A share says what it is a share of.
    const { resolved, satisfied, dissatisfied, notSaid } = complaints.resolution;
    expect(resolved).toBeGreaterThan(satisfied + dissatisfied);
    const n = (value: number) => value.toLocaleString('en-GB');
    expect(await page.locator('[data-status="complaints"]').innerText()).toContain(
      `of ${n(resolved)} resolutions satisfied (${n(satisfied)} satisfied and ${n(dissatisfied)} not, of ${n(satisfied + dissatisfied)} that said; ${n(notSaid)} did not say)`,
    );
    expect(otherOrigins).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('redraws a panel for another as-of date', async () => {
    const panel = page.locator('#rfm-panel');
    await panel.getByLabel('As of').fill('2011-01-31');
    await panel.getByRole('button', { name: 'Show' }).click();
    await panel.locator('.status', { hasText: 'as of 2011-01-31' }).waitFor();
    const { body: january } = await call('GET', '/v1/analytics/rfm?asOf=2011-01-31T23:59:59Z', keys.analyst);

    expect(await texts('#rfm-grid td .count')).toEqual(
      january.grid.map((cell: { customers: number }) => cell.customers.toLocaleString('en-GB')),
    );
    await panel.scrollIntoViewIfNeeded();
    await shot('dashboard-03-rfm-as-of-january');
    expect(pageErrors).toEqual([]);
  });
});
