import { createHmac, hkdfSync } from 'node:crypto';
import { IndexKey } from '../ports/read-store.port';

/** Read-store collection of e-mail blind-index entries: `{ hash, customerId }`, removed on erasure. */
export const EMAIL_INDEX_COLLECTION = 'email_index';
export const EMAIL_INDEX_KEYS: readonly (readonly IndexKey[])[] = [[['hash', 1]], [['customerId', 1]]];

/**
 * Keyed HMAC of a normalised e-mail address, so a customer can be found by e-mail without the address being
 * stored in clear. The HMAC key is derived from the master key and never stored.
 */
export class EmailBlindIndex {
  private readonly key: Buffer;

  constructor(masterKey: Buffer) {
    this.key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'ledger e-mail blind index', 32));
  }

  hash(email: string): string {
    return createHmac('sha256', this.key).update(normaliseEmail(email)).digest('hex');
  }
}

export function normaliseEmail(email: string): string {
  return email.normalize('NFKC').trim().toLowerCase();
}
