import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { Transform, Type } from 'class-transformer';
import { IsIn, IsInt, IsString, Max, Min } from 'class-validator';
import { TimelineEntry } from '../../../../projections/timeline.projection';
import { PiiCipher } from '../../../privacy/pii-cipher';
import { IsIsoTimestamp, IsOmittable } from '../../../validation/validators';
import { RequestValidationError } from '../../../validation/request-validation';
import { ReadModels } from '../../read-models/read-models';
import { CustomerEventType, PII_FIELDS, piiFieldsOf } from '../../../domain/customer-events';
import { unknownCustomer } from '../../../domain/domain-error';

export class ReadTimelineParams {
  @IsOmittable() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
  /** From a previous page's nextCursor. */
  @IsOmittable() @IsString() cursor?: string;
  /** Comma-separated event types, e.g. PurchaseCompleted,ComplaintFiled. */
  @IsOmittable()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? value.split(',').filter(Boolean) : value,
  )
  @IsIn(Object.keys(PII_FIELDS), {
    each: true,
    message: 'types must be event types such as PurchaseCompleted',
  })
  types?: CustomerEventType[];
  @IsOmittable() @IsIsoTimestamp() from?: string;
  @IsOmittable() @IsIsoTimestamp() to?: string;
  /** Which time the range and the order use: when it happened (default) or when it was recorded. */
  @IsOmittable() @IsIn(['occurredAt', 'recordedAt']) by?: 'occurredAt' | 'recordedAt';
}

export interface TimelinePage {
  readonly customerId: string;
  readonly entries: TimelineEntry[];
  readonly nextCursor?: string;
}

/** A page of a customer's timeline, newest first, personal data decrypted (or shown as erased). */
export class ReadTimeline extends Query<TimelinePage> {
  constructor(
    readonly customerId: string,
    readonly params: ReadTimelineParams,
  ) {
    super();
  }
}

@QueryHandler(ReadTimeline)
export class ReadTimelineHandler implements IQueryHandler<ReadTimeline> {
  constructor(
    private readonly readModels: ReadModels,
    private readonly cipher: PiiCipher,
  ) {}

  async execute({ customerId, params }: ReadTimeline): Promise<TimelinePage> {
    const by = params.by ?? 'occurredAt';
    const limit = params.limit ?? 50;
    const page = await this.readModels.timeline({
      where: { customerId },
      oneOf: params.types && { field: 'type', values: params.types },
      range: {
        field: by,
        from: params.from && new Date(params.from).toISOString(),
        to: params.to && new Date(params.to).toISOString(),
      },
      sort: [
        [by, -1],
        ['position', -1],
      ],
      after: params.cursor ? decodeCursor(params.cursor) : undefined,
      limit: limit + 1,
    });
    if (page.length === 0 && !params.cursor && !(await this.readModels.summary(customerId)))
      throw unknownCustomer(customerId);
    const entries = await Promise.all(
      page.slice(0, limit).map(async (entry) => ({
        ...entry,
        details: await this.cipher.decryptFields(
          entry.subjectId ?? customerId,
          piiFieldsOf(entry.type),
          entry.details,
        ),
      })),
    );
    const last = entries[entries.length - 1];
    return {
      customerId,
      entries,
      nextCursor: page.length > limit && last ? encodeCursor([last[by], last.position]) : undefined,
    };
  }
}

function encodeCursor(values: [string, number]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

function decodeCursor(cursor: string): [string, number] {
  try {
    const values = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown;
    if (Array.isArray(values) && typeof values[0] === 'string' && typeof values[1] === 'number')
      return [values[0], values[1]];
  } catch {
    // fall through to the validation error
  }
  throw new RequestValidationError([
    { field: 'cursor', message: 'is not a cursor returned by this endpoint' },
  ]);
}
