import { Equals, IsString, IsUUID, Length, Matches } from 'class-validator';
import { CommandEnvelope } from './customer-ledger';
import { CustomerCommandBody } from '../../domain/customer.decider';
import { IsIsoTimestamp, IsOmittable, WithoutOccurredAt } from '../../validation/validators';

/** Fields every write accepts: how the client identifies the fact and where it happened. */
export class RecordingFieldsDto {
  /** Client-chosen UUID (any version), resent unchanged on retry; a time-ordered one is generated when absent. */
  @IsOmittable()
  @IsUUID('all')
  eventId?: string;

  /** When it happened; now when absent; at most 5 minutes in the future. */
  @IsOmittable()
  @IsIsoTimestamp()
  occurredAt?: string;

  /**
   * The source has no date for the fact (a survey export without timestamps): it is dated when recorded,
   * and figures by date mark it as such. Only without occurredAt.
   */
  @IsOmittable()
  @Equals(true, { message: 'undated must be true when present' })
  @WithoutOccurredAt()
  undated?: true;

  @IsOmittable()
  @IsString()
  @Matches(/^[a-z][a-z0-9_-]{0,31}$/, {
    message: 'channel must be a lower-case word such as web, phone, store or email',
  })
  channel?: string;

  @IsOmittable()
  @IsString()
  @Length(1, 128)
  correlationId?: string;
}

/** A command envelope for one customer from a body's recording fields; `occurredAt` defaults to now. */
export function toEnvelope(
  customerId: string,
  body: RecordingFieldsDto,
  now: Date,
  command: CustomerCommandBody,
): CommandEnvelope {
  return {
    customerId,
    eventId: body.eventId,
    channel: body.channel,
    correlationId: body.correlationId,
    occurredAtDefaulted: !body.occurredAt,
    ...(body.undated && { undated: true }),
    command: { ...command, occurredAt: body.occurredAt ? new Date(body.occurredAt) : now },
  };
}
