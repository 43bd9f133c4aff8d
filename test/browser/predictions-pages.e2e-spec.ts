import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserContext, chromium, Page } from 'playwright-core';
import { Role } from '../../src/config/api-keys';
import { predictionShop } from '../fixtures/prediction-shop';
import { freePort } from '../support/free-port';
import { runLedgerCli } from '../support/ledger-cli';
import { roleApiKeys, writeApiKeysFile } from '../support/api-keys';
import { LedgerProcess } from '../support/ledger-process';

/**
 * Predictions where people see them, in a real browser (Debian's chromium through playwright-core) against the
 * real service in a child process: the prediction shop (test/fixtures) loaded through the API, the models
 * stored by `ledger predict refresh` run beside the service (as cron would, folding nothing itself), then the
 * rep page's Outlook card and the dashboard's three prediction panels, checked against the API's answers.
 */
const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = join(__dirname, '..', '..', 'test-results', 'screenshots');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium)
  console.warn(`SKIPPED test/browser/predictions-pages.e2e-spec.ts: ${CHROMIUM} is missing.`);

/** The few browser globals the callbacks below use (the project compiles without the DOM library). */
declare const document: {
  querySelectorAll(selector: string): Iterable<{ textContent: string | null }> & { readonly length: number };
};
declare const Chart: {
  getChart(id: string): { data: { datasets: { label: string; data: unknown[] }[] } } | undefined;
};

const keyOf = (role: Role) => `${role}-${randomBytes(24).toString('hex')}`;

(haveChromium ? describe : describe.skip)('predictions on the rep page and the analyst dashboard', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ledger-predictions-pages-'));
  const profileDir = mkdtempSync(join(tmpdir(), 'ledger-chromium-'));
  const masterKey = randomBytes(32).toString('base64');
  const keys = { analyst: keyOf('analyst'), ingest: keyOf('ingest'), rep: keyOf('rep') };
  const shop = predictionShop(Date.now());
  const pageErrors: string[] = [];
  let service: LedgerProcess;
  let context: BrowserContext;
  let page: Page;

  const texts = (selector: string) =>
    page.evaluate((css) => [...document.querySelectorAll(css)].map((e) => e.textContent ?? ''), selector);

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
      LEDGER_MASTER_KEY: masterKey,
      LEDGER_API_KEYS_FILE: keysFile,
      LEDGER_CURRENCY: 'EUR',
    });
    const batch = await service.call('POST', '/v1/touchpoints/batch', keys.ingest, {
      touchpoints: shop.touchpoints,
    });
    expect(batch.status).toBe(201);
    for (const registration of shop.registrations) {
      expect((await service.call('POST', '/v1/customers', keys.ingest, registration)).status).toBe(201);
    }
    const consent = { purpose: 'profiling', granted: false, occurredAt: shop.daysAgo(1) };
    expect((await service.call('POST', '/v1/customers/c19/consents', keys.ingest, consent)).status).toBe(201);

    // What cron runs nightly: the CLI beside the service, waiting for the service's folds.
    const refresh = await runLedgerCli(
      {
        DATA_DIR: dataDir,
        LEDGER_MASTER_KEY: masterKey,
        LEDGER_CURRENCY: 'EUR',
        LEDGER_PROJECTIONS: 'off',
      },
      ['predict', 'refresh', '--min-support', '0.05'],
    );
    expect([refresh.code, refresh.stderr]).toEqual([0, expect.any(String)]);
    expect(JSON.parse(refresh.stdout)).toMatchObject({ customers: 80, rules: { kept: 4 } });

    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-background-networking', '--no-first-run', '--disable-gpu'],
      viewport: { width: 1366, height: 768 },
      locale: 'en-GB',
      timezoneId: 'UTC',
    });
    context.setDefaultTimeout(20_000);
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => pageErrors.push(`page error: ${error.message}`));
  }, 240_000);

  afterAll(async () => {
    await context?.close();
    await service?.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(profileDir, { recursive: true, force: true });
  }, 120_000);

  it("shows the rep the customer's outlook with its reasons, and why there is none without consent", async () => {
    const { body: profile } = await service.call('GET', '/v1/customers/c0', keys.rep);
    await page.goto(service.baseUrl);
    await page.getByLabel('API key').fill(keys.rep);
    await page.keyboard.press('Enter');
    await page.getByLabel('Customer id or e-mail').fill('c0');
    await page.getByLabel('Customer id or e-mail').press('Enter');
    await page.locator('#outlook-alive').waitFor();

    expect(await texts('#outlook-alive')).toEqual([
      expect.stringContaining('bought every 24 weeks; last purchase 3 weeks ago'),
    ]);
    expect((await texts('#outlook-value'))[0]).toContain(profile.predictions.expectedValue.reason);
    const products = await texts('#next-products li');
    expect(products).toHaveLength(2);
    expect(products[0]).toMatch(/^LIGHTSbought at this time of year before: /);
    expect(products[1]).toMatch(/^Bin 96 % of baskets with A/);
    await page.screenshot({ path: join(SCREENSHOTS, 'predictions-01-outlook.png'), fullPage: true });

    await page.getByLabel('Customer id or e-mail').fill('c19');
    await page.getByLabel('Customer id or e-mail').press('Enter');
    await page.locator('#outlook-withheld').waitFor();
    expect((await texts('#outlook-withheld'))[0]).toMatch(
      /^No predictions: the customer withdrew consent to profiling on /,
    );
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('shows analysts the customers at risk by value, a backtest and the rules', async () => {
    const { body: atRisk } = await service.call(
      'GET',
      '/v1/analytics/predictions/customers?maxPAlive=0.5&limit=20',
      keys.analyst,
    );
    await page.goto(`${service.baseUrl}/analytics.html`);
    await page.getByLabel('API key').fill(keys.analyst);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForFunction(() =>
      [...document.querySelectorAll('.status')].every((s) => s.textContent && s.textContent !== 'Loading…'),
    );

    const riskRows = await texts('#risk-table tr');
    expect(riskRows).toHaveLength(1 + atRisk.predictions.length);
    expect(riskRows[1]).toContain(atRisk.predictions[0].pseudonym.slice(0, 12));
    expect((await texts('[data-status="risk"]'))[0]).toMatch(
      new RegExp(`^${atRisk.customers} customers at most 50\\.0% likely still customers`),
    );
    expect((await texts('[data-status="rules"]'))[0]).toMatch(/^Reads every purchase in the log/);
    await page.locator('#rules-panel').getByRole('button', { name: 'Show' }).click();
    await page.waitForFunction(
      () => {
        const status = [...document.querySelectorAll('[data-status="rules"]')][0]?.textContent ?? '';
        return !status.startsWith('Loading') && !status.startsWith('Reads every');
      },
      undefined,
      { timeout: 120_000 },
    );
    expect((await texts('[data-status="rules"]'))[0]).toMatch(/^4 rules from 231 baskets/);
    const rules = await texts('#rules-table tr');
    expect(rules.slice(1).map((row) => row.slice(0, 2))).toEqual(
      expect.arrayContaining(['AB', 'BA', 'CD', 'DC']),
    );

    const panel = page.locator('#backtest-panel');
    await panel.getByLabel('Fitted as of').fill(shop.daysAgo(120).slice(0, 10));
    await panel.getByLabel('compared up to').fill(shop.daysAgo(0).slice(0, 10));
    await panel.getByRole('button', { name: 'Show' }).click();
    // A backtest fits on request: seconds, more on a loaded machine.
    await page.waitForFunction(
      () =>
        ![...document.querySelectorAll('[data-status="backtest"]')][0]?.textContent?.startsWith('Loading'),
      undefined,
      { timeout: 120_000 },
    );
    expect((await texts('[data-status="backtest"]'))[0]).toMatch(
      /^\d+ customers: \d+ purchases after the fit/,
    );
    const datasets = await page.evaluate(
      () => Chart.getChart('backtest-chart')?.data.datasets.map((d) => d.label) ?? [],
    );
    expect(datasets).toEqual(['actual', 'BG/NBD', 'Pareto/NBD']);
    expect(await texts('#backtest-classes tr')).toHaveLength(1 + 8);
    await page.screenshot({ path: join(SCREENSHOTS, 'predictions-02-dashboard.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  }, 240_000);
});
