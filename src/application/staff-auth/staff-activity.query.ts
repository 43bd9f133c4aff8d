import { Inject } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { v7 as uuidv7 } from 'uuid';
import { IsDefined } from 'class-validator';
import { CUSTOMER_STREAM_PREFIX, customerIdOfStream } from '../../domain/customer-events';
import { EVENT_STORE, EventStore, RecordedEvent } from '../../ports/event-store.port';
import { ACCESS_STREAM_PREFIX } from '../../privacy/access-log';
import { IsIsoTimestamp } from '../../validation/validators';
import { PersonalDataReader } from '../gdpr/personal-data.queries';

/** Events read from the log per page while looking for one person's actions. */
const PAGE = 1000;

export class StaffActivityParams {
  @IsDefined({ message: 'from is required (ISO 8601)' }) @IsIsoTimestamp() from: string;
  @IsDefined({ message: 'to is required (ISO 8601)' }) @IsIsoTimestamp() to: string;
}

/** One thing a person did: a read of a customer's personal data, or a change recorded in a customer's stream. */
export type StaffAction =
  | {
      readonly kind: 'read';
      readonly at: string;
      readonly customerId: string;
      readonly resource: string;
      readonly requestId?: string;
      readonly authentication?: string;
    }
  | {
      readonly kind: 'change';
      readonly at: string;
      readonly customerId: string;
      readonly type: string;
      readonly eventId: string;
      readonly position: number;
      readonly requestId?: string;
      readonly authentication?: string;
    };

/** Where listings of a person's activity are recorded: who looked at whose activity, and for which period. */
export const staffAccessStreamId = (subject: string) => `staff-access-${subject}`;

/**
 * Everything one person (or key principal) read or changed between two times, by the server's recordedAt:
 * access-log entries and customer events whose `actor` is theirs. It reads the log from the start (there is no
 * per-person index): an auditor's occasional question, not a page that is opened all day. Listing someone's
 * activity is itself recorded, in `staff-access-<subject>`.
 */
/** Everything one person read or changed in a period. */
export interface StaffActivity {
  readonly subject: string;
  readonly from: string;
  readonly to: string;
  readonly actions: StaffAction[];
}

export class ReadStaffActivity extends Query<StaffActivity> {
  constructor(
    readonly subject: string,
    readonly period: StaffActivityParams,
    readonly reader: PersonalDataReader,
  ) {
    super();
  }
}

/** The action an event stands for when `subject` is its actor within the period, or undefined. */
export function actionOf(
  event: RecordedEvent,
  subject: string,
  from: string,
  to: string,
): StaffAction | undefined {
  const { actor, recordedAt, causationId, authentication } = event.metadata as Record<
    string,
    string | undefined
  >;
  if (actor !== subject || !recordedAt) return undefined;
  const at = Date.parse(recordedAt);
  if (at < Date.parse(from) || at > Date.parse(to)) return undefined;
  const common = { at: recordedAt, requestId: causationId, authentication };
  if (event.type === 'PersonalDataRead' && event.streamId.startsWith(ACCESS_STREAM_PREFIX)) {
    const resource = String((event.data as { resource?: unknown }).resource);
    return {
      kind: 'read',
      customerId: event.streamId.slice(ACCESS_STREAM_PREFIX.length),
      resource,
      ...common,
    };
  }
  if (event.streamId.startsWith(CUSTOMER_STREAM_PREFIX)) {
    return {
      kind: 'change',
      customerId: customerIdOfStream(event.streamId),
      type: event.type,
      eventId: event.eventId,
      position: event.position,
      ...common,
    };
  }
  return undefined;
}

@QueryHandler(ReadStaffActivity)
export class ReadStaffActivityHandler implements IQueryHandler<ReadStaffActivity> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ subject, period: { from, to }, reader }: ReadStaffActivity) {
    const actions: StaffAction[] = [];
    for (let after = 0; ;) {
      const page = await this.store.readAll({ afterPosition: after, maxCount: PAGE });
      for (const event of page) {
        const action = actionOf(event, subject, from, to);
        if (action) actions.push(action);
      }
      if (page.length < PAGE) break;
      after = page.at(-1)!.position;
    }
    const at = new Date().toISOString();
    await this.store.append([
      {
        streamId: staffAccessStreamId(subject),
        expectedRevision: 'any',
        events: [
          {
            eventId: uuidv7(),
            type: 'StaffActivityListed',
            schemaVersion: 1,
            data: { from, to, actions: actions.length },
            metadata: {
              occurredAt: at,
              recordedAt: at,
              actor: reader.actor,
              ...reader.attribution,
              causationId: reader.requestId,
            },
          },
        ],
      },
    ]);
    return { subject, from, to, actions };
  }
}
