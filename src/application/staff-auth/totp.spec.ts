import { base32Decode, base32Encode, matchingTotpStep, totpCode, totpStep } from './totp';

describe('TOTP (RFC 6238)', () => {
  // RFC 6238 appendix B: the SHA-1 secret is the ASCII string "12345678901234567890".
  const secret = Buffer.from('12345678901234567890', 'ascii');

  it('gives the RFC 6238 test vectors (SHA-1, 8 digits)', () => {
    const vectors: [number, string][] = [
      [59, '94287082'],
      [1111111109, '07081804'],
      [1111111111, '14050471'],
      [1234567890, '89005924'],
      [2000000000, '69279037'],
      [20000000000, '65353130'],
    ];
    for (const [seconds, code] of vectors) {
      expect(totpCode(secret, totpStep(new Date(seconds * 1000)), 8)).toBe(code);
    }
  });

  it('round-trips base32 as authenticator apps read it', () => {
    expect(base32Encode(secret)).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(base32Decode('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ')).toEqual(secret);
  });

  it('accepts a code one step either side, once, and nothing older than the last used step', () => {
    const now = new Date(1111111111 * 1000);
    const step = totpStep(now);
    expect(matchingTotpStep(secret, totpCode(secret, step), now, 0)).toBe(step);
    expect(matchingTotpStep(secret, totpCode(secret, step - 1), now, 0)).toBe(step - 1);
    expect(matchingTotpStep(secret, totpCode(secret, step + 1), now, 0)).toBe(step + 1);
    expect(matchingTotpStep(secret, totpCode(secret, step - 2), now, 0)).toBeUndefined();
    expect(matchingTotpStep(secret, totpCode(secret, step), now, step)).toBeUndefined();
    expect(matchingTotpStep(secret, 'abcdef', now, 0)).toBeUndefined();
  });
});
