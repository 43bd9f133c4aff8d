import { customerStreamId } from '../../domain/customer-events';
import { EventStore } from '../../ports/event-store.port';
import { PiiCipher } from '../../privacy/pii-cipher';
import { IdentifyTraits } from './tracking-messages';

/** Whether a customer is registered and the contact details the ledger holds now (decrypted). */
export interface ContactDetails {
  readonly registered: boolean;
  readonly details: IdentifyTraits;
}

const CONTACT_FIELDS = ['name', 'email', 'phone'] as const;

/**
 * The contact details of the customers one request identifies, read once from their streams and kept up to
 * date with what the request itself records, so that a batch's second identify compares with its first.
 */
export class KnownContactDetails {
  private readonly known = new Map<string, ContactDetails>();

  constructor(
    private readonly store: EventStore,
    private readonly cipher: PiiCipher,
  ) {}

  async of(customerId: string): Promise<ContactDetails> {
    const cached = this.known.get(customerId);
    if (cached) return cached;
    let current: ContactDetails = { registered: false, details: {} };
    for (const event of await this.store.readStream(customerStreamId(customerId))) {
      if (event.type !== 'CustomerRegistered' && event.type !== 'ContactDetailsChanged') continue;
      const present = CONTACT_FIELDS.filter((field) => typeof event.data[field] === 'string');
      const data = await this.cipher.decryptFields(customerId, present, event.data);
      const details: Record<string, unknown> = { ...current.details };
      for (const field of present) details[field] = data[field];
      current = { registered: true, details: details as IdentifyTraits };
    }
    this.known.set(customerId, current);
    return current;
  }

  /** What the request recorded: the customer is registered and holds these details from now on. */
  recorded(customerId: string, details: IdentifyTraits): void {
    const before = this.known.get(customerId)?.details ?? {};
    this.known.set(customerId, { registered: true, details: { ...before, ...definedOnly(details) } });
  }
}

/** The traits that differ from what the ledger holds (a trait not sent is not a change). */
export function changedTraits(traits: IdentifyTraits, current: IdentifyTraits): IdentifyTraits {
  const changed: Record<string, string> = {};
  for (const field of CONTACT_FIELDS) {
    const value = traits[field];
    if (value !== undefined && value !== current[field]) changed[field] = value;
  }
  return changed;
}

function definedOnly(details: IdentifyTraits): IdentifyTraits {
  return Object.fromEntries(Object.entries(details).filter(([, value]) => value !== undefined));
}
