import { ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import { LedgerProcess } from '../support/ledger-process';
import { freePort } from '../support/free-port';

/**
 * Single sign-on in a real browser against a real OpenID provider: `oidc-provider` in its own process
 * (test/support/oidc-provider.mjs) on localhost, the ledger in another on 127.0.0.1 (another site, as in
 * production), and Debian's Chromium walking the whole authorization code flow with PKCE.
 */
const CHROMIUM = '/usr/bin/chromium';
const ROOT = join(__dirname, '..', '..');
const SCREENSHOTS = join(ROOT, 'test-results', 'screenshots');
const PASSWORD = 'correct horse battery staple';
const ONE_TIME_CODE = '492039';

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.warn(
    `SKIPPED test/browser/staff-sign-in.e2e-spec.ts: ${CHROMIUM} is missing (apt-get install chromium).`,
  );
}

/** The browser's globals, for callbacks playwright runs inside the page (the project compiles without DOM). */
declare const document: { readonly cookie: string };
declare const window: { fetch(url: string, init?: object): Promise<{ status: number }> };

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Starts the provider script and waits for its `ready` line. */
async function startProvider(port: number, ledgerUrl: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'test', 'support', 'oidc-provider.mjs')], {
    env: { ...process.env, PORT: String(port), LEDGER_URL: ledgerUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`the provider did not start:\n${output}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('ready ')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`the provider exited with ${code}:\n${output}`)));
  });
  child.removeAllListeners('exit');
  return child;
}

(haveChromium ? describe : describe.skip)('staff single sign-on in a real browser', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ledger-sso-'));
  const keys = {
    ingest: `ingest-${randomBytes(24).toString('hex')}`,
    admin: `admin-${randomBytes(24).toString('hex')}`,
  };
  let provider: ChildProcess;
  let providerUrl: string;
  let service: LedgerProcess;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  const tamper = (mode: 'none' | 'forge' | 'expire') =>
    fetch(`${providerUrl}/__control`, { method: 'POST', body: JSON.stringify({ tamper: mode }) });

  /** A fresh browser profile (no cookies) on the rep page. */
  async function freshPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'en-GB' });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(service.baseUrl);
    return page;
  }

  /** From the rep page's sign-in card through the provider's own sign-in page, back to the ledger. */
  async function signInAtProvider(page: Page, login: string, otp?: string): Promise<number> {
    await page.getByRole('link', { name: 'Sign in with your company account' }).click();
    await page.getByRole('heading', { name: 'Company sign-in' }).waitFor();
    expect(new URL(page.url()).origin).toBe(providerUrl);
    await page.getByLabel('User name').fill(login);
    await page.getByLabel('Password').fill(PASSWORD);
    if (otp) await page.getByLabel('One-time code (optional)').fill(otp);
    const callback = page.waitForResponse((response) =>
      response.url().startsWith(`${service.baseUrl}/auth/callback`),
    );
    await page.getByRole('button', { name: 'Sign in' }).click();
    return (await callback).status();
  }

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const ledgerPort = await freePort();
    const providerPort = await freePort();
    const ledgerUrl = `http://127.0.0.1:${ledgerPort}`;
    providerUrl = `http://localhost:${providerPort}`;
    provider = await startProvider(providerPort, ledgerUrl);
    const keysFile = join(dataDir, 'api-keys.json');
    writeFileSync(
      keysFile,
      JSON.stringify([
        { principal: 'shop-ingest', roles: ['ingest'], keySha256: sha256(keys.ingest) },
        { principal: 'ops-admin', roles: ['admin', 'auditor'], keySha256: sha256(keys.admin) },
      ]),
    );
    service = await LedgerProcess.start({
      DATA_DIR: join(dataDir, 'data'),
      PORT: ledgerPort,
      LEDGER_API_KEYS_FILE: keysFile,
      more: {
        LEDGER_PUBLIC_URL: ledgerUrl,
        LEDGER_OIDC_ISSUER: providerUrl,
        LEDGER_OIDC_CLIENT_ID: 'ledger',
        LEDGER_OIDC_CLIENT_SECRET: 'ledger-client-secret',
        LEDGER_OIDC_SCOPES: 'openid profile groups',
        LEDGER_OIDC_ROLE_MAP: 'ledger-reps=rep,ledger-analysts=analyst,ledger-admins=admin',
        LEDGER_OIDC_REQUIRED_AMR: 'otp,mfa',
      },
    });
    const registration = {
      customerId: 'c-42',
      name: 'Dana Whitfield',
      email: 'dana@example.org',
      country: 'GB',
    };
    expect((await service.call('POST', '/v1/customers', keys.ingest, registration)).status).toBe(201);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    });
  }, 120_000);

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await service?.kill('SIGTERM');
    provider?.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('signs a rep in at the provider, reads a customer, and the access log names the person', async () => {
    const page = await freshPage();
    expect(await signInAtProvider(page, 'rosa', ONE_TIME_CODE)).toBe(200);
    await page.locator('#session-label', { hasText: 'Signed in as Rosa Rep (sso:pwd+otp)' }).waitFor();
    expect(await page.evaluate(() => document.cookie)).toBe(''); // the session cookie is HttpOnly
    const [cookie] = await page.context().cookies(service.baseUrl);
    expect(cookie).toMatchObject({ name: 'ledger-session', httpOnly: true, sameSite: 'Strict' });

    await page.getByLabel('Customer id or e-mail').fill('c-42');
    await page.getByLabel('Customer id or e-mail').press('Enter');
    await page.locator('#profile-name', { hasText: 'Dana Whitfield' }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'sso-01-signed-in.png') });

    const audit = await service.call('GET', '/v1/audit/customers/c-42', keys.admin);
    expect(audit.body.accessLog).toContainEqual(
      expect.objectContaining({
        actor: 'sso:rosa',
        actorName: 'Rosa Rep',
        authentication: 'sso:pwd+otp',
        resource: 'profile',
      }),
    );
  });

  it('refuses a write without the anti-forgery token, and a cross-site write never carries the cookie', async () => {
    const page = await freshPage();
    expect(await signInAtProvider(page, 'rosa', ONE_TIME_CODE)).toBe(200);
    await page.locator('#session-label', { hasText: 'Rosa Rep' }).waitFor();
    const eventsBefore = (await service.call('GET', '/v1/customers/c-42/events', keys.admin)).body.events
      .length;
    const note = { customerId: 'c-42', type: 'note', data: { note: 'forged' } };
    const sameSite = await page.evaluate(
      (body) =>
        window
          .fetch('/v1/touchpoints', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          })
          .then((response) => response.status),
      note,
    );
    expect(sameSite).toBe(403);
    // A page of another site (the provider's origin here) posting to the ledger with the person's browser.
    await page.goto(`${providerUrl}/.well-known/openid-configuration`);
    const crossSite = await page.evaluate(
      ([url, body]) =>
        fetch(url, {
          method: 'POST',
          credentials: 'include',
          mode: 'no-cors',
          body: JSON.stringify(body),
        }).then((response) => response.status),
      [`${service.baseUrl}/v1/touchpoints`, note] as const,
    );
    expect(crossSite).toBe(0); // opaque: the browser shows the page nothing
    const eventsAfter = (await service.call('GET', '/v1/customers/c-42/events', keys.admin)).body.events
      .length;
    expect(eventsAfter).toBe(eventsBefore);
  });

  it('refuses a rep whose sign-in had no second factor, with a clear page', async () => {
    const page = await freshPage();
    expect(await signInAtProvider(page, 'rosa')).toBe(403);
    await page.getByRole('heading', { name: 'A second factor is required' }).waitFor();
    expect(await page.getByRole('alert').innerText()).toContain('reported amr pwd');
    await page.screenshot({ path: join(SCREENSHOTS, 'sso-02-second-factor-required.png') });
    expect(await page.context().cookies(service.baseUrl)).toEqual([]);
  });

  it('lets an analyst in with a password only (pseudonymous data), but not onto the rep desk', async () => {
    const page = await freshPage();
    expect(await signInAtProvider(page, 'ann')).toBe(200);
    await page.locator('#login-error', { hasText: 'Ann Analyst does not have the rep role.' }).waitFor();
    // The same session opens the analyst dashboard, whose figures it may read.
    await page.goto(`${service.baseUrl}/analytics.html`);
    await page.locator('#session-label', { hasText: 'Signed in as Ann Analyst (sso:pwd)' }).waitFor();
    await page.locator('[data-status="funnel"]', { hasText: 'customers' }).waitFor();
  });

  it('refuses a forged ID token and an expired one', async () => {
    try {
      await tamper('forge');
      const forged = await freshPage();
      expect(await signInAtProvider(forged, 'rosa', ONE_TIME_CODE)).toBe(401);
      await forged.getByRole('heading', { name: 'Sign-in failed' }).waitFor();
      expect(await forged.getByRole('alert').innerText()).toMatch(/signature/i);

      await tamper('expire');
      const expired = await freshPage();
      expect(await signInAtProvider(expired, 'rosa', ONE_TIME_CODE)).toBe(401);
      expect(await expired.getByRole('alert').innerText()).toMatch(/"exp"/);
      for (const page of [forged, expired]) expect(await page.context().cookies(service.baseUrl)).toEqual([]);
    } finally {
      await tamper('none');
    }
  });

  it('sends the rep back to sign in once an admin has ended their sessions', async () => {
    const page = await freshPage();
    expect(await signInAtProvider(page, 'rosa', ONE_TIME_CODE)).toBe(200);
    await page.locator('#session-label', { hasText: 'Rosa Rep' }).waitFor();
    const ended = await service.call(
      'DELETE',
      `/v1/staff/${encodeURIComponent('sso:rosa')}/sessions`,
      keys.admin,
    );
    expect(ended.body.ended).toBeGreaterThanOrEqual(1);
    await page.getByLabel('Customer id or e-mail').fill('c-42');
    await page.getByLabel('Customer id or e-mail').press('Enter');
    await page.locator('#login-error', { hasText: 'Your session has ended. Sign in again.' }).waitFor();
  });

  it('signs out: the session ends on the server and the cookie is cleared', async () => {
    const page = await freshPage();
    expect(await signInAtProvider(page, 'rosa', ONE_TIME_CODE)).toBe(200);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('link', { name: 'Sign in with your company account' }).waitFor();
    expect(await page.context().cookies(service.baseUrl)).toEqual([]);
    const sessions = await service.call(
      'GET',
      `/v1/staff/${encodeURIComponent('sso:rosa')}/sessions`,
      keys.admin,
    );
    expect(sessions.body.sessions).toEqual([]);
  });
});
