import { createHash } from 'node:crypto';
import { parseApiKeys } from '../../src/config/api-keys';
import { LedgerTestApp } from '../support/ledger-app';

const OLD_KEY = 'the-rotated-out-key-0123456789abcdef';
const NEW_KEY = 'the-key-that-replaced-it-0123456789ab';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** API keys for machines expire, so that a rotation ends: the new key listed beside the old one until then. */
describe('API keys with an expiry', () => {
  let ledger: LedgerTestApp;

  beforeAll(async () => {
    ledger = await LedgerTestApp.start({
      apiKeys: [
        {
          principal: 'shop-backend',
          roles: ['rep'],
          keySha256: sha256(OLD_KEY),
          expiresAt: '2026-01-01T00:00:00.000Z',
        },
        {
          principal: 'shop-backend',
          roles: ['rep'],
          keySha256: sha256(NEW_KEY),
          expiresAt: '2999-01-01T00:00:00.000Z',
        },
      ],
    });
  });
  afterAll(() => ledger.stop());

  const read = (key: string) =>
    ledger.request('GET', '/v1/customers?email=nobody@example.org', undefined, {
      authorization: `Bearer ${key}`,
    });

  it('refuses an expired key with 401, saying so, and takes the key that replaced it', async () => {
    const old = await read(OLD_KEY);
    expect(old.status).toBe(401);
    expect(old.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(old.body.title).toBe(
      'This API key expired at 2026-01-01T00:00:00.000Z: use the key that replaced it',
    );
    expect((await read(NEW_KEY)).status).toBe(200);
  });

  it('reads expiresAt from the keys file, and refuses one that is not an instant', () => {
    const entry = { principal: 'ops', roles: ['admin'], keySha256: 'a'.repeat(64) };
    expect(parseApiKeys(JSON.stringify([{ ...entry, expiresAt: '2027-01-31T00:00:00Z' }])).keys[0]).toEqual({
      ...entry,
      expiresAt: '2027-01-31T00:00:00.000Z',
    });
    expect(parseApiKeys(JSON.stringify([{ ...entry, expiresAt: 'next month' }])).problems).toEqual([
      'LEDGER_API_KEYS_FILE[0].expiresAt must be an ISO 8601 instant such as 2027-01-31T00:00:00Z',
    ]);
  });
});
