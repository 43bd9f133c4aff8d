import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { SUBJECT_KEY_STORE, SubjectKeyStore } from '../../ports/subject-key-store.port';
import { ERASED_VALUE, PiiCipher } from '../../privacy/pii-cipher';

const SECRET_FIELD = 'secret';

/**
 * The key-store subject of a subscription's secret. It starts with `#`, which no customer id may (see
 * CUSTOMER_ID_PATTERN), so a customer can never share a subscription's data key.
 */
const secretSubject = (subscriptionId: string) => `#subscription/${subscriptionId}`;

/**
 * Signing secrets of subscriptions, kept encrypted in the read store under a data key of their own (the same
 * AES-256-GCM envelope as personal data, wrapped by the master key): a copy of the read store does not give
 * away the means to forge deliveries, `rotate-master-key` rewraps these keys with the others, and stopping a
 * subscription destroys its key, which shreds the secret.
 */
@Injectable()
export class SubscriptionSecrets {
  constructor(
    private readonly cipher: PiiCipher,
    @Inject(SUBJECT_KEY_STORE) private readonly keys: SubjectKeyStore,
  ) {}

  /** A new random secret: 32 bytes, base64url, with a prefix that tells what it is when it turns up in a file. */
  generate(): string {
    return `whsec_${randomBytes(32).toString('base64url')}`;
  }

  /** The secret encrypted for storage. */
  async seal(subscriptionId: string, secret: string): Promise<string> {
    const [sealed] = await this.cipher.encryptFields([
      { subjectId: secretSubject(subscriptionId), fields: [SECRET_FIELD], data: { [SECRET_FIELD]: secret } },
    ]);
    return sealed![SECRET_FIELD];
  }

  /** The secret in clear, or undefined once the subscription was stopped (its key destroyed). */
  async reveal(subscriptionId: string, sealed: string): Promise<string | undefined> {
    const opened = await this.cipher.decryptFields(secretSubject(subscriptionId), [SECRET_FIELD], {
      [SECRET_FIELD]: sealed,
    });
    return opened[SECRET_FIELD] === ERASED_VALUE ? undefined : opened[SECRET_FIELD];
  }

  /** Destroys the secret's data key for good. */
  async shred(subscriptionId: string): Promise<void> {
    await this.keys.destroy(secretSubject(subscriptionId));
    this.cipher.forget(secretSubject(subscriptionId));
  }
}
