import { Inject, Injectable } from '@nestjs/common';
import { customerStreamId } from '../domain/customer-events';
import { EVENT_STORE, EventStore } from '../ports/event-store.port';
import { READ_STORE, ReadStore } from '../ports/read-store.port';
import { EMAIL_INDEX_COLLECTION, EmailBlindIndex, normaliseEmail } from './blind-index';
import { PiiCipher } from './pii-cipher';

interface EmailIndexEntry {
  readonly hash: string;
  readonly customerId: string;
}

/**
 * Finds customers by e-mail through the blind index. Entries are written before the event that carries the
 * address, so a failed append can leave a stale entry: lookups confirm each candidate against the customer's
 * latest address in the event store.
 */
@Injectable()
export class EmailDirectory {
  constructor(
    @Inject(READ_STORE) private readonly reads: ReadStore,
    @Inject(EVENT_STORE) private readonly events: EventStore,
    private readonly cipher: PiiCipher,
    private readonly blindIndex: EmailBlindIndex,
  ) {}

  /** Indexes every (customer, address) pair given, in one commit of the read store. */
  async add(entries: readonly { readonly customerId: string; readonly email: string }[]): Promise<void> {
    if (entries.length === 0) return;
    const writes = entries.map(({ customerId, email }) => {
      const hash = this.blindIndex.hash(email);
      return { id: `${hash}:${customerId}`, doc: { hash, customerId } };
    });
    await this.reads.commit([{ collection: EMAIL_INDEX_COLLECTION, writes }], {});
  }

  async find(email: string): Promise<string[]> {
    const entries = await this.reads.find<EmailIndexEntry>(EMAIL_INDEX_COLLECTION, {
      where: { hash: this.blindIndex.hash(email) },
      sort: [],
    });
    const matches: string[] = [];
    for (const { customerId } of entries) {
      const current = await this.latestEmail(customerId);
      if (current !== undefined && normaliseEmail(current) === normaliseEmail(email))
        matches.push(customerId);
    }
    return matches;
  }

  /** Removes every entry of a customer; returns how many there were. */
  async remove(customerId: string): Promise<number> {
    const entries = await this.reads.find<EmailIndexEntry>(EMAIL_INDEX_COLLECTION, {
      where: { customerId },
      sort: [],
    });
    if (entries.length > 0) {
      await this.reads.commit(
        [
          {
            collection: EMAIL_INDEX_COLLECTION,
            writes: entries.map((entry) => ({ id: `${entry.hash}:${customerId}`, doc: null })),
          },
        ],
        {},
      );
    }
    return entries.length;
  }

  private async latestEmail(customerId: string): Promise<string | undefined> {
    for (let from: number | undefined; from === undefined || from >= 0;) {
      const page = await this.events.readStream(customerStreamId(customerId), {
        direction: 'backwards',
        fromRevision: from,
        maxCount: 100,
      });
      const withEmail = page.find((event) => typeof event.data.email === 'string');
      if (withEmail) {
        const { email } = await this.cipher.decryptFields(customerId, ['email'], {
          email: withEmail.data.email,
        });
        return typeof email === 'string' ? email : undefined;
      }
      if (page.length < 100) return undefined;
      from = page[page.length - 1]!.streamRevision - 1;
    }
    return undefined;
  }
}
