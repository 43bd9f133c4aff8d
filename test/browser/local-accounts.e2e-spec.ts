import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { base32Decode, totpCode, totpStep } from '../../src/application/staff-auth/totp';
import { LedgerProcess } from '../support/ledger-process';
import { freePort } from '../support/free-port';

/**
 * Local staff accounts in a real browser (Debian's Chromium): an admin's invitation link, a password, an
 * authenticator app (the test computes the codes from the key the page shows, as the app would), recovery codes
 * used once, and the lockout after five failed sign-ins.
 */
const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = join(__dirname, '..', '..', 'test-results', 'screenshots');
const PASSWORD = 'a long staff password 7';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`SKIPPED test/browser/local-accounts.e2e-spec.ts: ${CHROMIUM} is missing.`);

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

(haveChromium ? describe : describe.skip)('local staff accounts in a real browser', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ledger-local-'));
  const keys = {
    ingest: `ingest-${randomBytes(24).toString('hex')}`,
    admin: `admin-${randomBytes(24).toString('hex')}`,
  };
  let service: LedgerProcess;
  let browser: Browser;
  let page: Page;
  let invitationUrl: string;
  let secret: Buffer;
  let recoveryCodes: string[];

  async function signIn(code: string, password = PASSWORD) {
    await page.getByLabel('User name').fill('lena');
    await page.getByLabel('Password').fill(password);
    await page.getByLabel('Code from your app, or a recovery code').fill(code);
    await page.getByRole('button', { name: 'Sign in with my account' }).click();
  }

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const port = await freePort();
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
      PORT: port,
      LEDGER_API_KEYS_FILE: keysFile,
      more: { LEDGER_PUBLIC_URL: `http://127.0.0.1:${port}`, LEDGER_LOCAL_ACCOUNTS: 'on' },
    });
    const registration = {
      customerId: 'c-7',
      name: 'Dana Whitfield',
      email: 'dana@example.org',
      country: 'GB',
    };
    expect((await service.call('POST', '/v1/customers', keys.ingest, registration)).status).toBe(201);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu'],
    });
    page = await (await browser.newContext({ viewport: { width: 1366, height: 768 } })).newPage();
    page.setDefaultTimeout(15_000);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await service?.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('lets an admin invite a person, who sets a password and an authenticator app', async () => {
    const refused = await service.call('POST', '/v1/staff/accounts', keys.admin, {
      username: 'lena',
      roles: ['boss'],
    });
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'displayName' })]);
    const invited = await service.call('POST', '/v1/staff/accounts', keys.admin, {
      username: 'lena',
      displayName: 'Lena Local',
      roles: ['rep'],
    });
    expect(invited.status).toBe(201);
    invitationUrl = invited.body.invitationUrl;
    expect(invitationUrl).toMatch(new RegExp(`^${service.baseUrl}/invitation\\.html#[A-Za-z0-9_-]{43}$`));

    await page.goto(invitationUrl);
    expect(page.url()).toBe(`${service.baseUrl}/invitation.html`); // the token leaves the address bar
    await page.getByLabel('New password').fill('too short');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.locator('#password-error', { hasText: 'password must be 12 to 256 characters' }).waitFor();
    await page.getByLabel('New password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Set up your authenticator app' }).waitFor();
    secret = base32Decode((await page.locator('#totp-secret').innerText()).replace(/\s/g, ''));
    recoveryCodes = await page.locator('#recovery-codes li').allInnerTexts();
    expect(recoveryCodes).toHaveLength(10);
    expect(await page.locator('#otpauth-link').getAttribute('href')).toMatch(
      /^otpauth:\/\/totp\/Customer%20ledger%3Alena\?secret=/,
    );
    await page.screenshot({ path: join(SCREENSHOTS, 'local-01-authenticator.png') });

    await page
      .getByLabel('Code from the app')
      .fill('000000' === totpCode(secret, totpStep(new Date())) ? '111111' : '000000');
    await page.getByRole('button', { name: 'Activate my account' }).click();
    await page.locator('#code-error', { hasText: 'This code does not match' }).waitFor();
    await page.getByLabel('Code from the app').fill(totpCode(secret, totpStep(new Date())));
    await page.getByRole('button', { name: 'Activate my account' }).click();
    await page.getByRole('heading', { name: 'Your account is ready' }).waitFor();
  });

  it('signs in with password and code, and the access log names the person and both factors', async () => {
    await page.getByRole('link', { name: 'Sign in to the ledger' }).click();
    // The next step's code: the activation used this one, and a code works once.
    await signIn(totpCode(secret, totpStep(new Date()) + 1));
    await page
      .locator('#session-label', { hasText: 'Signed in as Lena Local (local:password+totp)' })
      .waitFor();
    await page.getByLabel('Customer id or e-mail').fill('c-7');
    await page.getByLabel('Customer id or e-mail').press('Enter');
    await page.locator('#profile-name', { hasText: 'Dana Whitfield' }).waitFor();
    const audit = await service.call('GET', '/v1/audit/customers/c-7', keys.admin);
    expect(audit.body.accessLog).toContainEqual(
      expect.objectContaining({
        actor: expect.stringMatching(/^local:[0-9a-f-]{36}$/),
        actorName: 'Lena Local',
        authentication: 'local:password+totp',
        resource: 'profile',
      }),
    );
  });

  it('takes a recovery code once', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(recoveryCodes[0]!);
    await page.locator('#session-label', { hasText: 'Lena Local (local:password+recovery-code)' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(recoveryCodes[0]!);
    await page.locator('#local-error', { hasText: 'Wrong user name, password or code' }).waitFor();
  });

  it('locks the account after five failed sign-ins in a row, even for the right password and code', async () => {
    // One failure so far (the used recovery code); four wrong passwords make five.
    for (let attempt = 0; attempt < 4; attempt++) {
      await page.locator('#local-error').evaluate((element) => (element.textContent = ''));
      await signIn(recoveryCodes[1]!, `wrong password ${attempt}`);
      await page.locator('#local-error', { hasText: 'Wrong user name, password or code' }).waitFor();
    }
    await signIn(recoveryCodes[1]!);
    await page
      .locator('#local-error', { hasText: 'This account is locked after 5 failed sign-ins' })
      .waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'local-02-locked.png') });
  });

  it('does not take an invitation twice', async () => {
    await page.goto(invitationUrl);
    await page.getByLabel('New password').fill('another long password');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page
      .locator('#password-error', { hasText: 'This invitation is unknown or was already used' })
      .waitFor();
  });
});
