import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserContext, chromium, Locator, Page } from 'playwright-core';
import { Role } from '../../src/config/api-keys';
import { roleApiKeys, writeApiKeysFile } from '../support/api-keys';
import { LedgerProcess } from '../support/ledger-process';
import { busiestRepeatBuyer, customerIdOf, readRees46, toTouchpoint } from '../fixtures/rees46';
import { freePort } from '../support/free-port';

/**
 * The service-rep page in a real browser (Debian's chromium driven by playwright-core) against the real
 * service in a child process, with API keys and a slice of the REES46 data set loaded through the API.
 * Screenshots (1366x768, a laptop screen) go to test-results/screenshots/.
 */
const CHROMIUM = '/usr/bin/chromium';
const ROOT = join(__dirname, '..', '..');
const SCREENSHOTS = join(ROOT, 'test-results', 'screenshots');
/** The first rows of the sample, plus every row of the customer the rep looks at. */
const SLICE_ROWS = 2000;

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.warn(
    `SKIPPED test/browser/rep-page.e2e-spec.ts: ${CHROMIUM} is missing. Install it with ` +
      '`apt-get update && apt-get install -y chromium` (.ci/run does this when it can).',
  );
}

/**
 * The browser's globals, for the callbacks playwright runs inside the page. The project compiles without the
 * DOM library (it is a Node service), so the little used here is declared, in this module only.
 */
interface PageElement {
  readonly id: string;
  readonly textContent: string | null;
  readonly outerHTML: string;
  readonly labels?: { readonly length: number } | null;
  getAttribute(name: string): string | null;
}
declare const document: {
  readonly activeElement: PageElement | null;
  readonly cookie: string;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement> & { readonly length: number };
};
declare const window: Record<string, unknown>;
declare const sessionStorage: { getItem(key: string): string | null };
declare const localStorage: { readonly length: number };

const keyOf = (role: Role) => `${role}-${randomBytes(24).toString('hex')}`;

(haveChromium ? describe : describe.skip)('service-rep page in a real browser', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ledger-browser-'));
  const profileDir = mkdtempSync(join(tmpdir(), 'ledger-chromium-'));
  const keys = { rep: keyOf('rep'), ingest: keyOf('ingest'), admin: keyOf('admin') };
  const rows = readRees46();
  const userId = busiestRepeatBuyer(rows);
  const customerId = customerIdOf(userId);
  const email = 'dana.whitfield@example.org';
  const timings: Record<string, number> = {};
  const pageErrors: string[] = [];

  let service: LedgerProcess;
  let context: BrowserContext;
  let page: Page;

  async function projected(): Promise<void> {
    for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
      const { body } = await service.call('GET', '/health', keys.rep);
      if (
        body.checks.projections.every(
          (p: { lag: number; status: string }) => p.lag === 0 && p.status === 'live',
        )
      )
        return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('the projections did not catch up');
  }

  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
  const entries = () => page.locator('#timeline > li.entry');
  /** The text as a person reads it (innerText keeps the gaps between table cells), spaces collapsed. */
  const text = async (locator: Locator) => (await locator.innerText()).replace(/\s+/g, ' ').trim();

  /** Scrolls the timeline down until the page says every entry is shown; returns how many pages that took. */
  async function scrollToEnd(): Promise<number> {
    let pages = 0;
    while (!(await text(page.locator('#timeline-status'))).endsWith('all shown')) {
      const before = await entries().count();
      await page
        .locator('#timeline-scroll')
        .evaluate((element) => (element.scrollTop = element.scrollHeight));
      await page.waitForFunction((n) => document.querySelectorAll('#timeline > li.entry').length > n, before);
      pages++;
    }
    return pages;
  }

  beforeAll(async () => {
    const started = Date.now();
    mkdirSync(SCREENSHOTS, { recursive: true });
    const roles = Object.keys(keys) as (keyof typeof keys)[];
    const keysFile = writeApiKeysFile(
      dataDir,
      roleApiKeys(roles, (role) => keys[role], '-desk'),
    );
    service = await LedgerProcess.start({
      DATA_DIR: dataDir,
      PORT: await freePort(),
      // No LEDGER_CURRENCY: a shop in dollars shows its figures right without configuration.
      LEDGER_API_KEYS_FILE: keysFile,
    });
    timings.serviceStartMs = Date.now() - started;

    const loadStarted = Date.now();
    const slice = rows.filter((row) => row.line - 2 < SLICE_ROWS || row.userId === userId);
    for (let start = 0; start < slice.length; start += 1000) {
      const batch = { touchpoints: slice.slice(start, start + 1000).map(toTouchpoint) };
      expect((await service.call('POST', '/v1/touchpoints/batch', keys.ingest, batch)).status).toBe(201);
    }
    const registration = {
      customerId,
      name: 'Dana Whitfield',
      email,
      phone: '+1 415 555 0134',
      country: 'US',
    };
    expect((await service.call('POST', '/v1/customers', keys.ingest, registration)).status).toBe(201);
    const consent = { purpose: 'marketing', granted: true, legalBasis: 'consent' };
    expect(
      (await service.call('POST', `/v1/customers/${customerId}/consents`, keys.ingest, consent)).status,
    ).toBe(201);
    // A second customer, erased, to see how the page shows personal data that is gone.
    const erased = { customerId: 'erased-1', name: 'Eve Erased', email: 'eve@example.org', country: 'FR' };
    expect((await service.call('POST', '/v1/customers', keys.ingest, erased)).status).toBe(201);
    const complaint = {
      customerId: 'erased-1',
      type: 'complaint',
      data: { complaintId: 'E-1', severity: 'low', description: 'Eve wrote a long letter' },
    };
    expect((await service.call('POST', '/v1/touchpoints', keys.ingest, complaint)).status).toBe(201);
    expect((await service.call('DELETE', '/v1/customers/erased-1', keys.admin)).status).toBe(200);
    await projected();
    timings.loadMs = Date.now() - loadStarted;
    timings.eventsLoaded = slice.length;

    const launchStarted = Date.now();
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-gpu',
        '--disable-quic',
      ],
      viewport: { width: 1366, height: 768 },
      locale: 'en-GB',
      timezoneId: 'UTC',
    });
    context.setDefaultTimeout(10_000);
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => pageErrors.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      // Refused requests are part of the story (a wrong key, an invalid complaint); anything else is not.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
        pageErrors.push(`console: ${message.text()}`);
    });
    timings.browserLaunchMs = Date.now() - launchStarted;
  }, 180_000);

  afterAll(async () => {
    await context?.close();
    await service?.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(profileDir, { recursive: true, force: true });
    console.log(`rep page e2e timings: ${JSON.stringify(timings)}`);
  });

  it('asks for an API key, refuses a wrong one and keeps the right one in session storage only', async () => {
    let started = Date.now();
    await page.goto(service.baseUrl);
    await page.getByLabel('API key').waitFor();
    timings.firstPaintMs = Date.now() - started;
    await shot('01-sign-in');

    await page.getByLabel('API key').fill('not-a-key-of-this-service');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#login-error', { hasText: 'not accepted' }).waitFor();
    expect(await page.getByLabel('API key').getAttribute('aria-invalid')).toBe('true');

    started = Date.now();
    await page.getByLabel('API key').fill(keys.rep);
    await page.keyboard.press('Enter');
    await page.getByLabel('Customer id or e-mail').waitFor();
    timings.signInMs = Date.now() - started;
    expect(page.url()).not.toContain(keys.rep);
    expect(await page.evaluate(() => sessionStorage.getItem('ledger.apiKey'))).toBe(keys.rep);
    expect(await page.evaluate(() => localStorage.length + document.cookie.length)).toBe(0);
  });

  it('finds the customer by e-mail: name, contact, stage, loyalty score with its why, consents', async () => {
    const { body: profile } = await service.call('GET', `/v1/customers/${customerId}`, keys.rep);
    const started = Date.now();
    await page.getByLabel('Customer id or e-mail').fill(email);
    await page.getByLabel('Customer id or e-mail').press('Enter');
    await page.locator('#profile-name', { hasText: 'Dana Whitfield' }).waitFor();
    await entries().first().waitFor();
    timings.findAndShowMs = Date.now() - started;

    expect(await text(page.locator('.customer-id'))).toBe(customerId);
    expect(await text(page.locator('#profile'))).toContain(email);
    expect(await text(page.locator('#profile'))).toContain('+1 415 555 0134');
    expect(profile.funnelStage).toBe('repeat');
    expect(await text(page.locator('.stages [aria-current="step"]'))).toBe('repeat');
    expect(await text(page.locator('#loyalty-score .score-value'))).toBe(String(profile.loyalty.score));
    expect((await text(page.locator('#loyalty-score .score-label'))).toLowerCase()).toContain(
      profile.loyalty.tier,
    );
    await page.getByText(`Why ${profile.loyalty.score}?`).click();
    expect(await text(page.locator('.why-table'))).toMatch(
      /Recency (\+\d+\.\d|0) last purchase \d+ days ago Frequency .* Spend .* Satisfaction .* Complaints/,
    );
    expect(await text(page.locator('.consents'))).toMatch(/marketing granted/);
    expect(profile.segment.name).toEqual(expect.any(String));
    // Bought in October 2019: the walk back goes as far as the first purchase, a date years ago, never a
    // limit of the look-back passed off as a date.
    expect(profile.segment.searchLimitReached).toBeUndefined();
    expect(profile.segment.since < '2020-01-01').toBe(true);
    expect(await text(page.locator('#segment'))).toBe(
      `Segment: ${profile.segment.name.replace(/-/g, ' ')}, since ${profile.segment.since.slice(0, 10)}`,
    );
    // Dollars, with LEDGER_CURRENCY left at its default (EUR): never shown as no spend.
    expect(profile.netSpend.currency).toBe('USD');
    expect(profile.netSpend.amount).toBeGreaterThan(0);
    const dollars = new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'USD' });
    expect(await text(page.locator('#profile'))).toContain(
      `Net spend ${dollars.format(profile.netSpend.amount)}`,
    );
    expect(await text(page.locator('.why-table'))).toContain(
      "purchases in USD, the customer's main currency",
    );
    expect(await page.locator('#open-complaints-heading').textContent()).toBe('Open complaints (0)');
    await shot('02-customer-found');
  });

  it('reads the whole timeline, newest first, loading older pages as it scrolls', async () => {
    const { body: profile } = await service.call('GET', `/v1/customers/${customerId}`, keys.rep);
    expect(profile.eventCount).toBeGreaterThan(25);
    expect(await entries().count()).toBe(25);
    expect(await entries().first().getAttribute('data-type')).toBe('ConsentGranted');

    const started = Date.now();
    expect(await scrollToEnd()).toBeGreaterThanOrEqual(1);
    timings.scrollToEndMs = Date.now() - started;
    expect(await text(page.locator('#timeline-status'))).toBe(`${profile.eventCount} entries, all shown`);

    const times = await entries().evaluateAll((items) =>
      items.map((item) => item.querySelector('.entry-head time')!.getAttribute('datetime')!),
    );
    expect([...times].sort().reverse()).toEqual(times);

    // A purchase shows its items and total; the first purchase of the sample is the last one listed.
    const purchase = page.locator('#timeline > li[data-type="PurchaseCompleted"]').last();
    await purchase.scrollIntoViewIfNeeded();
    expect(await text(purchase.locator('.summary'))).toMatch(
      /^Purchased 1 item for USD \d+\.\d\d, order rees46-line-/,
    );
    expect(await purchase.locator('table.items tbody tr').count()).toBe(1);
    expect(await text(purchase.locator('table.items tfoot'))).toMatch(/Total US\$\d+\.\d\d/);
    expect(await text(purchase.locator('.meta'))).toMatch(/^web · recorded by ingest-desk/);
    await shot('03-timeline-scrolled');
  });

  it('filters the timeline by kind and by date', async () => {
    await page.getByLabel('Browsing').uncheck();
    await page.waitForFunction(
      () =>
        !document.querySelector('#timeline > li[data-type="ProductBrowsed"]') &&
        !!document.querySelector('#timeline > li'),
    );
    const types = await entries().evaluateAll((items) => items.map((item) => item.getAttribute('data-type')));
    expect(types).toContain('PurchaseCompleted');
    expect(types).not.toContain('ProductBrowsed');
    await page.getByLabel('Browsing').check();

    await page.getByLabel('From', { exact: true }).fill('2019-10-01');
    await page.getByLabel('To', { exact: true }).fill('2019-10-31');
    await page.getByRole('button', { name: 'Apply' }).click();
    const inOctober = rows.filter((row) => row.userId === userId).length;
    await page.locator('#timeline-status', { hasText: '25 entries shown' }).waitFor();
    await scrollToEnd();
    expect(await text(page.locator('#timeline-status'))).toBe(`${inOctober} entries, all shown`);
    expect(await page.locator('#timeline > li[data-type="CustomerRegistered"]').count()).toBe(0);
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.locator('#timeline > li[data-type="ConsentGranted"]').waitFor();
  });

  it('records a complaint taken on the phone, showing the API validation errors next to the fields first', async () => {
    await page.getByRole('button', { name: 'New complaint' }).click();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('record-severity');
    expect(await page.getByLabel('Complaint id').inputValue()).toMatch(/^C-\d{8}-[A-Z0-9]{4}$/);
    await page.getByLabel('Complaint id').fill('');
    await page.getByRole('button', { name: 'Record' }).click();

    // The very messages the API gives for the same input.
    const refused = await service.call('POST', '/v1/touchpoints', keys.rep, {
      customerId,
      type: 'complaint',
      channel: 'phone',
      data: {},
    });
    expect(refused.status).toBe(400);
    const apiMessage = (field: string) =>
      refused.body.errors.find((error: { field: string }) => error.field === field).message as string;
    const complaintIdError = page.locator('[data-error-for="data.complaintId"]');
    await complaintIdError.waitFor();
    expect(await text(complaintIdError)).toBe(apiMessage('data.complaintId'));
    expect(await text(page.locator('[data-error-for="data.severity"]'))).toBe(apiMessage('data.severity'));
    expect(await page.getByLabel('Complaint id').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('Complaint id').getAttribute('aria-describedby')).toBe(
      await complaintIdError.getAttribute('id'),
    );
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('record-complaint-id');
    await page.getByLabel('Complaint id').scrollIntoViewIfNeeded();
    await shot('04-complaint-refused');

    const started = Date.now();
    await page.getByLabel('Complaint id').fill('C-E2E-1');
    await page.getByLabel('Severity').selectOption('high');
    await page.getByLabel('Category').fill('delivery');
    await page.getByLabel('What the customer says').fill('The parcel arrived crushed.');
    await page.getByRole('button', { name: 'Record' }).click();
    await page.locator('#record-status', { hasText: 'Complaint C-E2E-1 recorded.' }).waitFor();
    const filed = page.locator('#timeline > li[data-type="ComplaintFiled"]').first();
    await filed.waitFor();
    await page.locator('.open-complaints', { hasText: 'Open complaints (1)' }).waitFor();
    timings.complaintVisibleMs = Date.now() - started;
    expect(await text(filed)).toContain('Filed high complaint C-E2E-1 about delivery');
    expect(await text(filed)).toContain('The parcel arrived crushed.');
    expect(await text(filed.locator('.state'))).toBe('Open');
    expect(await text(filed.locator('.meta'))).toMatch(/^phone · recorded by rep-desk/);
    expect(await page.locator('[data-error-for="data.complaintId"]').isVisible()).toBe(false);
    const { body: profile } = await service.call('GET', `/v1/customers/${customerId}`, keys.rep);
    await page.locator('#loyalty-score .score-value', { hasText: String(profile.loyalty.score) }).waitFor();
    await shot('05-complaint-recorded');
  });

  it('resolves the complaint from the open-complaints list', async () => {
    await page.getByRole('button', { name: 'Resolve complaint C-E2E-1' }).click();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('record-resolution');
    expect(await page.getByLabel('Complaint id').inputValue()).toBe('C-E2E-1');
    await page.keyboard.type('Sent a replacement by courier.');
    await page.getByLabel('Customer satisfied?').selectOption('true');
    await page.getByRole('button', { name: 'Record' }).click();
    await page.locator('#record-status', { hasText: 'Complaint C-E2E-1 marked resolved.' }).waitFor();
    const resolved = page.locator('#timeline > li[data-type="ComplaintResolved"]').first();
    await resolved.waitFor();
    expect(await text(resolved)).toContain('Complaint C-E2E-1 resolved, customer satisfied');
    expect(await text(resolved)).toContain('Sent a replacement by courier.');
    await page.locator('.open-complaints', { hasText: 'Open complaints (0)' }).waitFor();
    await page
      .locator('#timeline > li[data-type="ComplaintFiled"] .state', { hasText: 'Resolved' })
      .waitFor();
    await shot('06-complaint-resolved');
  });

  it('notes a call', async () => {
    await page.getByLabel('What', { exact: true }).selectOption('contact');
    expect(await page.getByLabel('Complaint id').isVisible()).toBe(false);
    await page.getByLabel('Who called').selectOption('inbound');
    await page.getByLabel('Minutes').fill('4');
    await page.getByLabel('Topic', { exact: true }).fill('delivery date');
    await page.getByLabel('Note', { exact: true }).fill('Asked when the replacement arrives; told Thursday.');
    await page.getByRole('button', { name: 'Record' }).click();
    await page.locator('#record-status', { hasText: 'Call noted.' }).waitFor();
    const note = page.locator('#timeline > li[data-type="CustomerContacted"]').first();
    await note.waitFor();
    expect(await text(note)).toContain('Contacted us by phone about delivery date (4 min)');
    expect(await text(note)).toContain('Asked when the replacement arrives; told Thursday.');
    await page.getByLabel('What', { exact: true }).selectOption('complaint');
  });

  it('shows a touchpoint recorded elsewhere as it happens, without reloading', async () => {
    await page.locator('#live-state[data-state="live"]').waitFor();
    await page.evaluate(() => (window.notReloaded = true));
    const sentAt = Date.now();
    const survey = await service.call('POST', '/v1/touchpoints', keys.ingest, {
      customerId,
      type: 'survey',
      channel: 'email',
      data: { kind: 'nps', score: 9, comment: 'Quick and friendly on the phone' },
    });
    expect(survey.status).toBe(201);
    const arrived = page.locator(`#timeline > li[data-entry-id="${survey.body.eventId}"]`);
    await arrived.waitFor();
    timings.liveUpdateMs = Date.now() - sentAt;
    expect(await text(arrived)).toContain('Answered NPS survey: 9 of 10');
    expect(await text(arrived)).toContain('Quick and friendly on the phone');
    expect(await text(page.locator('#new-entries'))).toContain('New: Answered NPS survey: 9 of 10');
    expect(await page.evaluate(() => window.notReloaded)).toBe(true);
    await shot('07-live-update');
  });

  it('says a call note is hidden by the filters, and opens the next customer with no filters', async () => {
    await page.getByLabel('Account and consents').uncheck();
    await page.getByLabel('What', { exact: true }).selectOption('contact');
    await page.getByLabel('Topic', { exact: true }).fill('invoice copy');
    await page.getByRole('button', { name: 'Record' }).click();
    await page
      .locator('#record-status', {
        hasText: 'Call noted. The timeline filters hide it: clear them to see it.',
      })
      .waitFor();
    await page.getByLabel('From', { exact: true }).fill('2019-10-01');

    await page.getByLabel('Customer id or e-mail').fill('erased-1');
    await page.getByLabel('Customer id or e-mail').press('Enter');
    await page.locator('#profile-name', { hasText: 'Erased customer' }).waitFor();
    expect(await page.getByLabel('Account and consents').isChecked()).toBe(true);
    expect(await page.getByLabel('From', { exact: true }).inputValue()).toBe('');
    await page.locator('#timeline > li[data-type="CustomerRegistered"]').waitFor();

    await page.getByLabel('Customer id or e-mail').fill(customerId);
    await page.getByLabel('Customer id or e-mail').press('Enter');
    await page.locator('#profile-name', { hasText: 'Dana Whitfield' }).waitFor();
    await page.getByLabel('What', { exact: true }).selectOption('contact');
    await page.getByLabel('Topic', { exact: true }).fill('refund status');
    await page.getByRole('button', { name: 'Record' }).click();
    await page.locator('#record-status', { hasText: /^Call noted\.$/ }).waitFor();
    await page
      .locator('#timeline > li[data-type="CustomerContacted"]', { hasText: 'refund status' })
      .waitFor();
    await page.getByLabel('What', { exact: true }).selectOption('complaint');
  });

  it('clears the previous customer when a search finds nobody, and says what was searched for', async () => {
    await page.locator('#live-state[data-state="live"]').waitFor();
    await page.getByLabel('Customer id or e-mail').fill('nobody@example.com');
    await page.getByLabel('Customer id or e-mail').press('Enter');
    await page
      .locator('#find-message', { hasText: 'No customer with the e-mail nobody@example.com.' })
      .waitFor();
    expect(await page.locator('#profile').isVisible()).toBe(false);
    expect(await entries().count()).toBe(0);
    expect(await page.locator('#live-state').getAttribute('data-state')).toBe('off');
    expect(await page.locator('#record').isVisible()).toBe(false);
    await shot('08-search-found-nobody');

    await page.getByLabel('Customer id or e-mail').fill(customerId);
    await page.getByLabel('Customer id or e-mail').press('Enter');
    await page.locator('#profile-name', { hasText: 'Dana Whitfield' }).waitFor();
    await page.getByLabel('Customer id or e-mail').fill('no-such-customer');
    await page.getByLabel('Customer id or e-mail').press('Enter');
    await page.locator('#find-message', { hasText: 'No customer with the id no-such-customer.' }).waitFor();
    expect(await page.locator('#profile').isVisible()).toBe(false);
    expect(await entries().count()).toBe(0);
    expect(await page.locator('#live-state').getAttribute('data-state')).toBe('off');
    expect(await page.evaluate(() => sessionStorage.getItem('ledger.customerId'))).toBeNull();
  });

  it('shows erased personal data as erased', async () => {
    await page.getByLabel('Customer id or e-mail').fill('erased-1');
    await page.getByLabel('Customer id or e-mail').press('Enter');
    await page.locator('#profile-name', { hasText: 'Erased customer' }).waitFor();
    await page.locator('#timeline > li[data-type="CustomerErased"]').waitFor();
    expect(await text(page.locator('#profile .pairs').first())).toMatch(/E-mail erased Phone erased/);
    expect(await text(page.locator('#timeline > li[data-type="ComplaintFiled"]'))).toContain(
      'Customer said erased',
    );
    expect(await text(page.locator('#timeline > li[data-type="CustomerRegistered"]'))).toContain(
      'Name erased',
    );
    expect(await page.locator('#record').isVisible()).toBe(false);
    await shot('09-erased-customer');
  });

  it('labels every control, reaches them by keyboard and signs out', async () => {
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input, select, textarea')]
        .filter((control) => !control.labels?.length && !control.getAttribute('aria-label'))
        .map((control) => control.id || control.outerHTML),
    );
    expect(unlabelled).toEqual([]);
    expect(await page.locator('h1').count()).toBe(1);

    await page.getByLabel('Customer id or e-mail').focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Find');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('ledger.apiKey'))).toBeNull();
    expect(pageErrors).toEqual([]);
  });
});
