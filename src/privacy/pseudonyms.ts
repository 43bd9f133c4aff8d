import { createCipheriv, createDecipheriv, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

const PREFIX = 'p-';
const TAG_BYTES = 16;

/**
 * Keyed pseudonyms of customer ids for analysts: stable (the same id always gives the same pseudonym),
 * unlinkable without the key, and resolvable by auditors and admins without a lookup table.
 *
 * A pseudonym is `p-` + base64url(tag | AES-256-CTR(id, iv = tag)), tag = HMAC-SHA256(id) cut to 16 bytes:
 * a keyed HMAC of the id, with the id encrypted under it (the SIV construction, RFC 5297's idea) so that
 * resolving needs the key and no stored mapping. Both keys are derived from the master key and never stored.
 */
export class Pseudonyms {
  private readonly macKey: Buffer;
  private readonly encryptionKey: Buffer;

  constructor(masterKey: Buffer) {
    this.macKey = derive(masterKey, 'ledger pseudonym tag');
    this.encryptionKey = derive(masterKey, 'ledger pseudonym encryption');
  }

  of(customerId: string): string {
    const plain = Buffer.from(customerId, 'utf8');
    const tag = this.tag(plain);
    const cipher = createCipheriv('aes-256-ctr', this.encryptionKey, tag);
    return PREFIX + Buffer.concat([tag, cipher.update(plain), cipher.final()]).toString('base64url');
  }

  /** The customer id behind a pseudonym made with this key, or undefined for anything else. */
  resolve(pseudonym: string): string | undefined {
    if (!pseudonym.startsWith(PREFIX)) return undefined;
    const bytes = Buffer.from(pseudonym.slice(PREFIX.length), 'base64url');
    if (bytes.length <= TAG_BYTES) return undefined;
    const tag = bytes.subarray(0, TAG_BYTES);
    const decipher = createDecipheriv('aes-256-ctr', this.encryptionKey, tag);
    const plain = Buffer.concat([decipher.update(bytes.subarray(TAG_BYTES)), decipher.final()]);
    return timingSafeEqual(this.tag(plain), tag) ? plain.toString('utf8') : undefined;
  }

  private tag(plain: Buffer): Buffer {
    return createHmac('sha256', this.macKey).update(plain).digest().subarray(0, TAG_BYTES);
  }
}

/** Looks like a pseudonym (for validation messages); `resolve` decides whether it is one. */
export const PSEUDONYM_PATTERN = /^p-[A-Za-z0-9_-]{22,}$/;

function derive(masterKey: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), info, 32));
}
