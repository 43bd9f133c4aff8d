import { Inject } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { EVENT_STORE, EventStore, RecordedEvent } from '../../../ports/event-store.port';
import { PiiCipher } from '../../../privacy/pii-cipher';
import { customerStreamId, piiFieldsOf } from '../../../domain/customer-events';
import { unknownCustomer } from '../../../domain/domain-error';
import { IsOmittable } from '../../../validation/validators';

export class ReadCustomerEventsParams {
  /** First stream revision to return. */
  @IsOmittable() @Type(() => Number) @IsInt() @Min(0) fromRevision?: number;
  @IsOmittable() @Type(() => Number) @IsInt() @Min(1) @Max(1000) limit?: number;
}

export interface CustomerEventsPage {
  readonly customerId: string;
  readonly events: RecordedEvent[];
  /** The revision to pass as fromRevision for the next page; absent on the last page. */
  readonly nextRevision?: number;
}

/** The raw stream of one customer, oldest first, personal data decrypted (or shown as erased). */
export class ReadCustomerEvents extends Query<CustomerEventsPage> {
  constructor(
    readonly customerId: string,
    readonly params: ReadCustomerEventsParams,
  ) {
    super();
  }
}

@QueryHandler(ReadCustomerEvents)
export class ReadCustomerEventsHandler implements IQueryHandler<ReadCustomerEvents> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly cipher: PiiCipher,
  ) {}

  async execute({ customerId, params }: ReadCustomerEvents): Promise<CustomerEventsPage> {
    const limit = params.limit ?? 100;
    const fromRevision = params.fromRevision ?? 0;
    const page = await this.store.readStream(customerStreamId(customerId), {
      fromRevision,
      maxCount: limit + 1,
    });
    if (page.length === 0 && (await this.store.streamRevision(customerStreamId(customerId))) < 0) {
      throw unknownCustomer(customerId);
    }
    const events = await Promise.all(
      page.slice(0, limit).map(async (event) => ({
        ...event,
        data: await this.cipher.decryptFields(customerId, piiFieldsOf(event.type), event.data),
      })),
    );
    return {
      customerId,
      events,
      nextRevision: page.length > limit ? page[limit]!.streamRevision : undefined,
    };
  }
}
