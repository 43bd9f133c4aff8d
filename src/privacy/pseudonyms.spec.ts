import { randomBytes } from 'node:crypto';
import { PSEUDONYM_PATTERN, Pseudonyms } from './pseudonyms';

describe('Pseudonyms', () => {
  const masterKey = randomBytes(32);
  const pseudonyms = new Pseudonyms(masterKey);

  it('gives the same pseudonym for the same id, and a different one for another id', () => {
    expect(pseudonyms.of('cust-42')).toBe(new Pseudonyms(masterKey).of('cust-42'));
    expect(pseudonyms.of('cust-42')).not.toBe(pseudonyms.of('cust-43'));
    expect(pseudonyms.of('cust-42')).toMatch(PSEUDONYM_PATTERN);
    expect(pseudonyms.of('cust-42')).not.toContain('cust');
  });

  it('resolves its own pseudonyms back to the id, for ids up to 128 characters', () => {
    const longId = `a${'b'.repeat(127)}`;
    expect(pseudonyms.resolve(pseudonyms.of('cust-42'))).toBe('cust-42');
    expect(pseudonyms.resolve(pseudonyms.of(longId))).toBe(longId);
  });

  it('resolves nothing made under another key, tampered with, or not a pseudonym at all', () => {
    const other = new Pseudonyms(randomBytes(32)).of('cust-42');
    const genuine = pseudonyms.of('cust-42');
    // The second-to-last character carries six bits of ciphertext: any other character changes the bytes.
    const secondToLast = genuine.at(-2)!;
    const flipped = genuine.slice(0, -2) + (secondToLast === 'A' ? 'B' : 'A') + genuine.slice(-1);
    expect(flipped).not.toBe(genuine);
    expect(other).not.toBe(genuine);
    expect(pseudonyms.resolve(other)).toBeUndefined();
    expect(pseudonyms.resolve(flipped)).toBeUndefined();
    expect(pseudonyms.resolve('cust-42')).toBeUndefined();
    expect(pseudonyms.resolve('p-AAAA')).toBeUndefined();
  });
});
