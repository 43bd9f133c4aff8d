import { Inject, Injectable } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { EVENT_STORE, EventStore } from '../ports/event-store.port';

export const accessStreamId = (customerId: string) => `access-${customerId}`;

/** What was read: an HTTP resource, a lookup that revealed who someone is, or a CLI export. */
export type PersonalDataResource =
  | 'profile'
  | 'timeline'
  | 'events'
  | 'export'
  | 'audit-trail'
  | 'email-lookup'
  | 'pseudonym-resolution'
  | 'event-export'
  | 'predictions'
  | 'subscription-delivery';

/** Who read which personal data of a customer, appended to `access-<customerId>`, never to the customer stream. */
@Injectable()
export class AccessLog {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async record(
    customerId: string,
    actor: string,
    resource: PersonalDataResource,
    requestId: string,
  ): Promise<void> {
    const at = new Date().toISOString();
    await this.store.append([
      {
        streamId: accessStreamId(customerId),
        expectedRevision: 'any',
        events: [
          {
            eventId: uuidv7(),
            type: 'PersonalDataRead',
            schemaVersion: 1,
            data: { resource },
            metadata: { occurredAt: at, recordedAt: at, actor, causationId: requestId },
          },
        ],
      },
    ]);
  }

  /** Every read of the customer's personal data: position, when, who, on which request, what. */
  async entries(customerId: string): Promise<Record<string, unknown>[]> {
    const events = await this.store.readStream(accessStreamId(customerId));
    return events.map(({ metadata, data, position }) => ({ position, ...metadata, ...data }));
  }
}
