import { IsEmail, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import { v5 as uuidv5 } from 'uuid';
import { TrackingUnmappedRule } from '../../config/ledger-config';
import { ANONYMOUS_ID_PREFIX, anonymousCustomerId, CUSTOMER_ID_PATTERN } from '../../domain/customer-events';
import { FieldProblem, validateAs } from '../../validation/request-validation';
import { PHONE_PATTERN } from '../customers/register-customer/register-customer.dto';
import {
  MAX_BATCH_SIZE,
  ParsedTouchpoint,
  parseTouchpoint,
} from '../customers/record-touchpoint/touchpoint.dto';
import { FieldMap } from './field-map';
import { MappedTouchpoint, MessageContext, pageViewed, TRACK_EVENT_MAPPINGS } from './track-event-mapping';

/** The endpoints of the tracking API: one per Segment call, and the batch. */
export const TRACKING_CALLS = ['identify', 'track', 'page', 'screen', 'group', 'alias', 'batch'] as const;
export type TrackingCall = (typeof TRACKING_CALLS)[number];

/** Segment's limit for one message (its HTTP API answers 400 above it). */
export const MAX_MESSAGE_BYTES = 32 * 1024;

/**
 * The namespace of the UUIDv5 event ids derived from tracker message ids: fixed forever, so that a resent
 * message finds the event its first delivery recorded.
 */
export const MESSAGE_ID_NAMESPACE = 'fa043abc-c50d-457f-91e7-712ec7413ce1';

/** The ledger's event id for a tracker's message id: the same message always gives the same event. */
export function eventIdOfMessage(messageId: string): string {
  return uuidv5(messageId, MESSAGE_ID_NAMESPACE);
}

/** When the message says it happened, and whether the server's clock took part (then a retry may differ). */
export interface MessageTime {
  readonly occurredAt: Date;
  readonly fromServerClock: boolean;
}

interface ParsedBase {
  /** Position in the request, and the prefix of its fields in problems (`batch[3].`). */
  readonly index: number;
  readonly messageId?: string;
  readonly eventId?: string;
  readonly time: MessageTime;
  readonly channel?: string;
  readonly fields: FieldMap;
}

export interface ParsedTouchpointMessage extends ParsedBase {
  readonly kind: 'touchpoint';
  readonly customerId: string;
  /** Validated by the same rules as `POST /v1/touchpoints`. */
  readonly touchpoint: ParsedTouchpoint;
}

/** Personal data from identify traits, as the ledger's registration and contact changes name it. */
export interface IdentifyTraits {
  readonly name?: string;
  readonly email?: string;
  readonly phone?: string;
}

export interface ParsedIdentifyMessage extends ParsedBase {
  readonly kind: 'identify';
  readonly customerId: string;
  readonly traits: IdentifyTraits;
  /** The visitor's anonymous profile, merged into the customer. */
  readonly anonymousCustomerId?: string;
}

export interface ParsedAliasMessage extends ParsedBase {
  readonly kind: 'alias';
  readonly survivorId: string;
  readonly previousId: string;
}

export interface SkippedMessage extends ParsedBase {
  readonly kind: 'skipped';
  readonly reason: string;
}

/** An unmapped message kept as sent (LEDGER_TRACKING_UNMAPPED=keep): recorded as EventTracked. */
export interface KeptMessage extends ParsedBase {
  readonly kind: 'kept';
  readonly customerId: string;
  /** The event name of a track call, else the call's type (`screen`, `group`, `identify`, ...). */
  readonly event: string;
  /** The message's properties (or the call's own fields) as JSON text (stored encrypted), absent when none. */
  readonly properties?: string;
  /** Why the ledger could not map it, when it maps such messages: the problems in the message's terms. */
  readonly notMapped?: readonly FieldProblem[];
}

/** A message the ledger can neither record nor keep: its identity (type, ids, time) is not valid. */
export interface RefusedMessage {
  readonly kind: 'refused';
  readonly index: number;
  readonly messageId?: string;
  readonly problems: readonly FieldProblem[];
}

export type ParsedMessage =
  | ParsedTouchpointMessage
  | ParsedIdentifyMessage
  | ParsedAliasMessage
  | SkippedMessage
  | KeptMessage
  | RefusedMessage;

export interface ParseOptions {
  /** What to do with a message the ledger does not map (an unknown event, screen, group) or cannot map. */
  readonly unmapped: TrackingUnmappedRule;
  /** The server's clock when the request arrived: Segment's `receivedAt`. */
  readonly receivedAt: Date;
}

/** The message types the tracking API takes. */
const MESSAGE_TYPES = ['identify', 'track', 'page', 'screen', 'group', 'alias'] as const;

/** The fields of a call kept as sent when the ledger cannot map it (a track event keeps its properties). */
const KEPT_FIELDS = ['name', 'category', 'properties', 'traits', 'groupId', 'previousId'] as const;

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * Parses a request of the tracking API: one message (`call` names its type) or a batch. The request's own
 * problems (no object, no batch array) are listed in `problems`; each message gets its own outcome: parsed,
 * kept or skipped by the unmapped rule, or refused with its problems. Envelope fields the ledger does not use
 * (the batch's `timestamp`, `writeKey`, `integrations`, `_metadata`, `messageId`; a message's `integrations`,
 * `receivedAt`, `version`, `writeKey`, `_metadata`, and any other top-level field) are ignored.
 */
export function parseTrackingRequest(
  body: unknown,
  call: TrackingCall,
  options: ParseOptions,
): { messages: ParsedMessage[]; problems: FieldProblem[] } {
  if (!isObject(body)) {
    return { messages: [], problems: [{ field: 'body', message: 'must be a JSON object' }] };
  }
  if (call !== 'batch') {
    return { messages: [parseMessage(body, 0, '', call, undefined, undefined, options)], problems: [] };
  }
  const batch = body.batch;
  if (!Array.isArray(batch) || batch.length === 0 || batch.length > MAX_BATCH_SIZE) {
    return {
      messages: [],
      problems: [{ field: 'batch', message: `must be an array of 1 to ${MAX_BATCH_SIZE} messages` }],
    };
  }
  // The batch's sentAt and context serve every message; when unusable they are ignored, never the batch refused.
  const batchSentAt = timestampField(body, 'sentAt', '', []);
  const batchContext = isObject(body.context) ? body.context : undefined;
  const messages = batch.map((message: unknown, index) =>
    parseMessage(message, index, `batch[${index}].`, undefined, batchSentAt, batchContext, options),
  );
  return { messages, problems: [] };
}

/**
 * One message. Its identity (type, messageId, userId or anonymousId, time, channel) must be valid, else the
 * message is refused: the ledger could not file it, nor know it again on a resend. A problem in what it
 * maps (properties, traits, event name) leaves it to the unmapped rule: kept as sent, skipped, or refused.
 */
function parseMessage(
  message: unknown,
  index: number,
  prefix: string,
  impliedType: Exclude<TrackingCall, 'batch'> | undefined,
  batchSentAt: Date | undefined,
  batchContext: Record<string, unknown> | undefined,
  options: ParseOptions,
): ParsedMessage {
  const at = (field: string) => prefix + field;
  const whole = prefix.replace(/\.$/, '') || 'body';
  const refused = (problems: FieldProblem[], messageId?: string): RefusedMessage => ({
    kind: 'refused',
    index,
    messageId,
    problems,
  });
  if (!isObject(message)) return refused([{ field: whole, message: 'must be a JSON object' }]);
  if (Buffer.byteLength(JSON.stringify(message)) > MAX_MESSAGE_BYTES) {
    return refused([
      { field: whole, message: `is larger than ${MAX_MESSAGE_BYTES / 1024} KB, the limit of one message` },
    ]);
  }
  const problems: FieldProblem[] = [];
  const type = message.type ?? impliedType;
  if (impliedType && message.type !== undefined && message.type !== impliedType) {
    problems.push({ field: at('type'), message: `must be ${impliedType} on this endpoint (or left out)` });
  }
  if (typeof type !== 'string' || !(MESSAGE_TYPES as readonly string[]).includes(type)) {
    problems.push({ field: at('type'), message: `must be one of ${MESSAGE_TYPES.join(', ')}` });
  }
  const messageId = optionalString(message, 'messageId', prefix, problems, 256);
  const userId = optionalString(message, 'userId', prefix, problems, 128);
  const anonymousId = optionalString(
    message,
    'anonymousId',
    prefix,
    problems,
    128 - ANONYMOUS_ID_PREFIX.length,
  );
  const channel = optionalString(message, 'channel', prefix, problems, 32);
  if (channel !== undefined && !/^[a-z][a-z0-9_-]{0,31}$/.test(channel)) {
    problems.push({
      field: at('channel'),
      message: 'must be a lower-case word such as web, mobile or server',
    });
  }
  if (userId !== undefined) checkCustomerId(userId, at('userId'), problems);
  if (anonymousId !== undefined && !CUSTOMER_ID_PATTERN.test(anonymousCustomerId(anonymousId))) {
    problems.push({ field: at('anonymousId'), message: 'must be 1 to 118 letters, digits or ._:@-' });
  }
  if (
    userId === undefined &&
    anonymousId === undefined &&
    message.userId == null &&
    message.anonymousId == null
  ) {
    problems.push({
      field: at('userId'),
      message:
        type === 'alias'
          ? 'an alias needs the userId it links to'
          : 'a message needs a userId or an anonymousId',
    });
  } else if (type === 'alias' && userId === undefined && message.userId == null) {
    problems.push({ field: at('userId'), message: 'an alias needs the userId it links to' });
  }
  const time = messageTime(message, prefix, batchSentAt, options.receivedAt, problems);
  if (problems.length > 0) return refused(problems, messageId);

  const customerId = userId ?? anonymousCustomerId(anonymousId!);
  const fields = new FieldMap(prefix)
    .from('eventId', 'messageId')
    .from('occurredAt', time.field)
    .from('channel', 'channel')
    .from('customerId', userId !== undefined ? 'userId' : 'anonymousId');
  const base = {
    index,
    messageId,
    eventId: messageId === undefined ? undefined : eventIdOfMessage(messageId),
    time: { occurredAt: time.occurredAt, fromServerClock: time.fromServerClock },
    channel,
    fields,
  };
  const messageType = type as (typeof MESSAGE_TYPES)[number];
  const event = messageType === 'track' && typeof message.event === 'string' ? message.event : messageType;
  const kept = { ...base, customerId, event, properties: keptProperties(messageType, message) };
  const notMapped = (found: FieldProblem[], reason: string) => unmapped(reason, kept, options, found);

  const contextValue = message.context;
  if (contextValue !== undefined && contextValue !== null && !isObject(contextValue)) {
    problems.push({ field: at('context'), message: 'must be an object' });
  }
  for (const field of ['properties', 'traits'] as const) {
    if (message[field] !== undefined && message[field] !== null && !isObject(message[field])) {
      problems.push({ field: at(field), message: 'must be an object' });
    }
  }
  const context = messageContext({ ...batchContext, ...(isObject(contextValue) ? contextValue : {}) });

  if (messageType === 'alias') {
    const previousId = optionalString(message, 'previousId', prefix, problems, 128);
    if (previousId === undefined && message.previousId == null) {
      problems.push({ field: at('previousId'), message: 'an alias needs the previousId it links from' });
    }
    if (problems.length > 0) return notMapped(problems, 'this alias has problems');
    return { ...base, kind: 'alias', survivorId: userId!, previousId: previousId! };
  }

  if (messageType === 'identify') {
    if (userId === undefined) {
      problems.push({
        field: at('userId'),
        message: 'identify needs a userId to register or change a customer: kept as sent on the visitor',
      });
    }
    const traits = identifyTraits(isObject(message.traits) ? message.traits : {}, fields, problems);
    if (problems.length > 0) return notMapped(problems, 'this identify has problems');
    return {
      ...base,
      kind: 'identify',
      customerId,
      traits,
      anonymousCustomerId: anonymousId === undefined ? undefined : anonymousCustomerId(anonymousId),
    };
  }

  if (messageType === 'screen' || messageType === 'group') {
    return notMapped(problems, `${messageType} calls have no touchpoint`);
  }

  const properties = isObject(message.properties) ? message.properties : {};
  let touchpoint: MappedTouchpoint;
  if (messageType === 'page') {
    touchpoint = pageViewed({ name: message.name, category: message.category, properties }, context, fields);
  } else {
    if (typeof message.event !== 'string' || message.event.length === 0) {
      problems.push({ field: at('event'), message: 'a track call needs the event name, a string' });
      return notMapped(problems, 'this track call has problems');
    }
    const mapping = Object.prototype.hasOwnProperty.call(TRACK_EVENT_MAPPINGS, message.event)
      ? TRACK_EVENT_MAPPINGS[message.event]
      : undefined;
    if (!mapping) {
      if (problems.length > 0) return notMapped(problems, 'this track call has problems');
      return notMapped([], `event "${message.event}" has no touchpoint`);
    }
    touchpoint = mapping(properties, context, fields, problems);
  }
  if (problems.length > 0) return notMapped(problems, `this ${messageType} call has problems`);
  const checked = parseTouchpoint({
    customerId,
    type: touchpoint.type,
    data: touchpoint.data,
    eventId: base.eventId,
    occurredAt: time.occurredAt.toISOString(),
    channel,
  });
  if (!checked.parsed) {
    return notMapped(
      checked.problems.map((problem) => fields.problem(problem)),
      `this ${messageType} call has problems`,
    );
  }
  return { ...base, kind: 'touchpoint', customerId, touchpoint: checked.parsed };
}

/** What a call holds beyond its identity, kept as sent: a track event's properties, else the call's fields. */
function keptProperties(
  type: (typeof MESSAGE_TYPES)[number],
  message: Record<string, unknown>,
): Record<string, unknown> {
  if (type === 'track') return isObject(message.properties) ? message.properties : {};
  return Object.fromEntries(
    KEPT_FIELDS.filter((field) => message[field] !== undefined && message[field] !== null).map((field) => [
      field,
      message[field],
    ]),
  );
}

/**
 * A message the ledger does not map (an event it has no touchpoint for, a screen or group call), or cannot
 * map (`problems` in what it maps), under LEDGER_TRACKING_UNMAPPED: kept as sent, skipped, or refused.
 */
function unmapped(
  reason: string,
  message: ParsedBase & { customerId: string; event: string; properties: Record<string, unknown> },
  options: ParseOptions,
  problems: FieldProblem[],
): SkippedMessage | KeptMessage | RefusedMessage {
  const { customerId, event, properties, ...base } = message;
  const because = problems.length > 0 ? problems : undefined;
  if (options.unmapped === 'keep') {
    const json = Object.keys(properties).length > 0 ? JSON.stringify(properties) : undefined;
    return {
      ...base,
      kind: 'kept',
      customerId,
      event,
      ...(json !== undefined && { properties: json }),
      ...(because && { notMapped: because }),
    };
  }
  if (options.unmapped === 'skip') {
    const detail = because ? ` (${because.map((each) => `${each.field}: ${each.message}`).join('; ')})` : '';
    return {
      ...base,
      kind: 'skipped',
      reason: `${reason}${detail}: skipped (LEDGER_TRACKING_UNMAPPED=skip)`,
    };
  }
  return {
    kind: 'refused',
    index: base.index,
    messageId: base.messageId,
    problems: because ?? [
      {
        field: `${base.fields.prefix}${event === 'screen' || event === 'group' ? 'type' : 'event'}`,
        message: `${reason} in the ledger (see docs/tracking.md): refused, as LEDGER_TRACKING_UNMAPPED=refuse says`,
      },
    ],
  };
}

/**
 * Segment's clock rules: an explicit `timestamp` is when it happened; else `originalTimestamp` corrected for
 * the device's clock skew with `sentAt` (the message's, else the batch's): receivedAt - (sentAt -
 * originalTimestamp); else `originalTimestamp` as sent; else when the request was received.
 */
export function messageTime(
  message: Record<string, unknown>,
  prefix: string,
  batchSentAt: Date | undefined,
  receivedAt: Date,
  problems: FieldProblem[],
): MessageTime & { field: string } {
  const timestamp = timestampField(message, 'timestamp', prefix, problems);
  const originalTimestamp = timestampField(message, 'originalTimestamp', prefix, problems);
  const sentAt = timestampField(message, 'sentAt', prefix, problems) ?? batchSentAt;
  if (timestamp) return { occurredAt: timestamp, fromServerClock: false, field: 'timestamp' };
  if (originalTimestamp && sentAt) {
    const skewMs = sentAt.getTime() - originalTimestamp.getTime();
    return {
      occurredAt: new Date(receivedAt.getTime() - skewMs),
      fromServerClock: true,
      field: 'originalTimestamp',
    };
  }
  if (originalTimestamp)
    return { occurredAt: originalTimestamp, fromServerClock: false, field: 'originalTimestamp' };
  return { occurredAt: receivedAt, fromServerClock: true, field: 'timestamp' };
}

function timestampField(
  holder: Record<string, unknown>,
  field: string,
  prefix: string,
  problems: FieldProblem[],
): Date | undefined {
  const value = holder[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !ISO_TIMESTAMP.test(value) || Number.isNaN(Date.parse(value))) {
    problems.push({
      field: prefix + field,
      message: `${field} must be an ISO 8601 timestamp with a time zone, e.g. 2026-11-23T10:15:00.000Z`,
    });
    return undefined;
  }
  return new Date(value);
}

function optionalString(
  holder: Record<string, unknown>,
  field: string,
  prefix: string,
  problems: FieldProblem[],
  maxLength: number,
): string | undefined {
  const value = holder[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    problems.push({
      field: prefix + field,
      message: `${field} must be a string of 1 to ${maxLength} characters`,
    });
    return undefined;
  }
  return value;
}

function checkCustomerId(id: string, field: string, problems: FieldProblem[]): void {
  if (!CUSTOMER_ID_PATTERN.test(id)) {
    problems.push({
      field,
      message: 'must match ^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$ (it is the customer id)',
    });
  } else if (id.startsWith(ANONYMOUS_ID_PREFIX)) {
    problems.push({
      field,
      message: `must not start with ${ANONYMOUS_ID_PREFIX}, the prefix of anonymous visitors`,
    });
  }
}

/** The personal data an identify may carry; every other trait is not kept. */
class IdentifyTraitsDto {
  @IsOptional() @IsString() @Length(1, 200) name?: string;
  @IsOptional() @IsEmail() @MaxLength(254) email?: string;
  @IsOptional()
  @IsString()
  @Matches(PHONE_PATTERN, { message: 'phone must be a phone number such as +44 20 7946 0958' })
  phone?: string;
}

/** `name`, else `firstName` and `lastName` joined (Segment's reserved traits); `email`; `phone`. */
function identifyTraits(
  traits: Record<string, unknown>,
  fields: FieldMap,
  problems: FieldProblem[],
): IdentifyTraits {
  const { firstName, lastName } = traits;
  let name = traits.name;
  let nameField = 'traits.name';
  if (name === undefined || name === null) {
    const parts = [firstName, lastName].filter((part) => part !== undefined && part !== null);
    if (parts.some((part) => typeof part !== 'string')) {
      const field = typeof firstName !== 'string' && firstName != null ? 'firstName' : 'lastName';
      problems.push({ field: `${fields.prefix}traits.${field}`, message: `${field} must be a string` });
    }
    name = parts.length > 0 ? parts.join(' ').trim() : undefined;
    if (firstName != null) nameField = 'traits.firstName';
    else if (lastName != null) nameField = 'traits.lastName';
  }
  fields.from('name', nameField).from('email', 'traits.email').from('phone', 'traits.phone');
  const plain = { name, email: traits.email ?? undefined, phone: traits.phone ?? undefined };
  const { problems: found } = validateAs(IdentifyTraitsDto, plain);
  problems.push(...found.map((problem) => fields.problem(problem)));
  return {
    name: typeof name === 'string' ? name : undefined,
    email: typeof plain.email === 'string' ? plain.email : undefined,
    phone: typeof plain.phone === 'string' ? plain.phone : undefined,
  };
}

function messageContext(context: Record<string, unknown>): MessageContext {
  const page = isObject(context.page) ? context.page : {};
  const campaign = isObject(context.campaign) ? context.campaign : {};
  const text = (value: unknown) => (typeof value === 'string' && value.length > 0 ? value : undefined);
  return {
    pageUrl: text(page.url),
    pageReferrer: text(page.referrer),
    pageTitle: text(page.title),
    campaign: text(campaign.name),
    sessionId: text(context.sessionId),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
