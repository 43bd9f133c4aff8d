import { createHmac } from 'node:crypto';
import { signatureHeader, verifyLedgerSignature } from './webhook-signature';

const SECRET = 'whsec_test-secret-0123456789';
const BODY = '{"eventId":"0190b2a4-0000-7000-8000-000000000001","type":"PurchaseCompleted"}';
const AT = new Date('2026-11-20T10:00:00Z');
const T = AT.getTime() / 1000;

describe('webhook signature', () => {
  it('signs as t=<seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>', () => {
    const expected = createHmac('sha256', SECRET).update(`${T}.${BODY}`).digest('hex');
    expect(signatureHeader(SECRET, BODY, T)).toBe(`t=${T},v1=${expected}`);
  });

  it('verifies its own signature over the raw body, as a string or as bytes', () => {
    const header = signatureHeader(SECRET, BODY, T);
    expect(verifyLedgerSignature({ secret: SECRET, header, body: BODY, now: AT })).toEqual({
      valid: true,
      timestamp: T,
    });
    expect(verifyLedgerSignature({ secret: SECRET, header, body: Buffer.from(BODY), now: AT }).valid).toBe(
      true,
    );
  });

  it.each([
    ['a changed body', { body: BODY.replace('Completed', 'Refunded') }, 'no v1 signature matches the body'],
    ['another secret', { secret: 'whsec_another' }, 'no v1 signature matches the body'],
    ['a timestamp too old', { now: new Date(AT.getTime() + 301_000) }, 'more than 300 s away'],
    ['a timestamp in the future', { now: new Date(AT.getTime() - 301_000) }, 'more than 300 s away'],
    ['no header', { header: undefined }, 'no ledger-signature header'],
    ['no timestamp', { header: 'v1=abc' }, 'one timestamp'],
    ['two timestamps', { header: `t=${T},t=${T},v1=abc` }, 'one timestamp'],
    ['no signature', { header: `t=${T}` }, 'no v1 signature'],
    ['a signature of the wrong length', { header: `t=${T},v1=abcd` }, 'no v1 signature matches'],
  ])('refuses %s', (_, change, reason) => {
    const input = {
      secret: SECRET,
      header: signatureHeader(SECRET, BODY, T),
      body: BODY,
      now: AT,
      ...change,
    };
    const check = verifyLedgerSignature(input);
    expect(check.valid).toBe(false);
    expect(!check.valid && check.reason).toContain(reason);
  });

  it('accepts a header holding several v1 signatures when one matches (a secret being rotated)', () => {
    const [, signature] = signatureHeader(SECRET, BODY, T).split(',v1=');
    const header = `t=${T},v1=${'0'.repeat(64)},v1=${signature}`;
    expect(verifyLedgerSignature({ secret: SECRET, header, body: BODY, now: AT }).valid).toBe(true);
  });

  it('honours a tolerance of its own', () => {
    const header = signatureHeader(SECRET, BODY, T);
    const later = new Date(AT.getTime() + 60_000);
    expect(
      verifyLedgerSignature({ secret: SECRET, header, body: BODY, now: later, toleranceSeconds: 30 }).valid,
    ).toBe(false);
    expect(
      verifyLedgerSignature({ secret: SECRET, header, body: BODY, now: later, toleranceSeconds: 90 }).valid,
    ).toBe(true);
  });
});
