import {
  CUSTOMER_ID_PATTERN,
  CustomerEventType,
  EVENT_CATALOG,
  FieldRule,
  isCustomerEventType,
  RETAINABLE_EVENT_TYPES,
  schemaVersionOf,
  SURVEY_SCALES,
} from '../src/domain/customer-events';
import { NewEvent } from '../src/ports/event-store.port';
import { CUSTOMER_STREAM_PREFIX } from './projection';

/** A customer event as the event store hands it over, before anything about it is trusted. */
export interface StoredEvent {
  readonly eventId: string;
  readonly streamId: string;
  readonly streamRevision: number;
  readonly position: number;
  readonly type: string;
  /** The version of the type's schema the data is in: upcast to the current one before the guard looks. */
  readonly schemaVersion: number;
  readonly data: Record<string, unknown>;
  readonly metadata: Record<string, unknown>;
  readonly redactedAt?: string;
}

/** Where an event breaks the shape the projections rely on: a field path and why, never the value. */
export interface EventProblem {
  readonly path: string;
  readonly reason: string;
}

/**
 * A stored event no projection may fold: the one error every projection refuses a malformed event with.
 * The message names the event and the field, never the value (it may be personal data).
 */
export class MalformedEventError extends Error {
  readonly path: string;
  readonly reason: string;

  constructor(
    readonly event: { readonly position: unknown; readonly eventId: unknown; readonly type: unknown },
    problem: EventProblem,
  ) {
    super(
      `malformed ${String(event.type)} event at position ${String(event.position)}: ${problem.path} ${problem.reason}`,
    );
    this.name = 'MalformedEventError';
    this.path = problem.path;
    this.reason = problem.reason;
  }
}

const CURRENCY_CODE = /^[A-Z]{3}$/;

/**
 * The first way a stored customer event breaks what the projections rely on, or undefined when it is well
 * formed: the envelope (customer stream, known type, instants, actor, integer position and revision, the type's
 * current schema version: events are upcast before they are checked, and a newer one is refused until this
 * code knows it), then the data shape of its type. Redacted events (retention) are checked by their envelope only: no fold reads their
 * data. Pure: the same event always gives the same answer.
 */
export function findProblem(stored: StoredEvent): EventProblem | undefined {
  return envelopeProblem(stored) ?? dataProblem(stored);
}

/**
 * The first way an event about to be appended breaks the stored shape, or undefined: the rules `findProblem`
 * holds stored events to, checked on the write path before the append, so that no event the projections would
 * park is ever acknowledged. The store gives the position and revision; all else is checked as it will be
 * stored (personal data before encryption: a string either way).
 */
export function findProblemBeforeAppend(streamId: string, event: NewEvent): EventProblem | undefined {
  return findProblem({ ...event, streamId, streamRevision: 0, position: 1 });
}

/** Throws MalformedEventError for an event `findProblem` refuses. */
export function assertWellFormed(stored: StoredEvent): void {
  const problem = findProblem(stored);
  if (problem) throw new MalformedEventError(stored, problem);
}

function envelopeProblem(stored: StoredEvent): EventProblem | undefined {
  if (typeof stored.streamId !== 'string' || !stored.streamId.startsWith(CUSTOMER_STREAM_PREFIX))
    return { path: 'streamId', reason: 'must be a customer stream (customer-<customerId>)' };
  if (!CUSTOMER_ID_PATTERN.test(stored.streamId.slice(CUSTOMER_STREAM_PREFIX.length)))
    return { path: 'streamId', reason: `must name a customer id matching ${CUSTOMER_ID_PATTERN.source}` };
  if (typeof stored.eventId !== 'string' || stored.eventId.length === 0)
    return { path: 'eventId', reason: 'must be a non-empty string' };
  if (!isCustomerEventType(stored.type))
    return { path: 'type', reason: 'must be a customer event type of the catalog' };
  if (!Number.isSafeInteger(stored.position) || stored.position < 1)
    return { path: 'position', reason: 'must be a positive integer' };
  if (!Number.isSafeInteger(stored.streamRevision) || stored.streamRevision < 0)
    return { path: 'streamRevision', reason: 'must be a non-negative integer' };
  if (!isPlainObject(stored.metadata)) return { path: 'metadata', reason: 'must be an object' };
  for (const field of ['occurredAt', 'recordedAt']) {
    if (!isCanonicalInstant(stored.metadata[field]))
      return {
        path: `metadata.${field}`,
        reason: 'must be an ISO 8601 UTC instant as the ledger writes it (YYYY-MM-DDTHH:mm:ss.sssZ)',
      };
  }
  const { actor, channel } = stored.metadata;
  if (typeof actor !== 'string' || actor.length === 0)
    return { path: 'metadata.actor', reason: 'must be a non-empty string' };
  if (channel !== undefined && typeof channel !== 'string')
    return { path: 'metadata.channel', reason: 'must be a string when present' };
  if (!isPlainObject(stored.data)) return { path: 'data', reason: 'must be an object' };
  return schemaVersionProblem(stored);
}

function schemaVersionProblem(stored: StoredEvent): EventProblem | undefined {
  const { schemaVersion, type } = stored;
  const current = schemaVersionOf(type);
  if (!Number.isSafeInteger(schemaVersion) || schemaVersion < 1)
    return { path: 'schemaVersion', reason: 'must be a positive integer' };
  if (schemaVersion > current)
    return {
      path: 'schemaVersion',
      reason: `is ${schemaVersion}, newer than the ${type} schema this ledger knows (${current}): a newer version of the ledger wrote it; upgrade this one, then retry the parked event`,
    };
  if (schemaVersion < current)
    return {
      path: 'schemaVersion',
      reason: `is ${schemaVersion}, older than ${type}'s current ${current}: the event was not upcast before it was checked`,
    };
  return undefined;
}

function dataProblem(stored: StoredEvent): EventProblem | undefined {
  const type = stored.type as CustomerEventType;
  if (stored.redactedAt !== undefined && (RETAINABLE_EVENT_TYPES as readonly string[]).includes(type))
    return undefined;
  const { shape } = EVENT_CATALOG[type];
  const data = stored.data;
  for (const [field, spec] of Object.entries(shape.fields)) {
    const value = data[field];
    if (value === undefined) {
      if (spec.required) return { path: `data.${field}`, reason: 'is required' };
      continue;
    }
    const problem = ruleProblem(spec.rule, value, `data.${field}`, data);
    if (problem) return problem;
  }
  const alternatives = shape.atLeastOneOf;
  if (alternatives && alternatives.every((path) => valueAt(data, path) === undefined)) {
    const [first, ...others] = alternatives;
    return { path: `data.${first}`, reason: `is required when none of ${others.join(', ')} is given` };
  }
  return undefined;
}

function ruleProblem(
  rule: FieldRule,
  value: unknown,
  path: string,
  data: Record<string, unknown>,
): EventProblem | undefined {
  switch (rule.kind) {
    case 'id':
      return typeof value === 'string' && value.length > 0
        ? undefined
        : { path, reason: 'must be a non-empty string' };
    case 'text':
      return typeof value === 'string' ? undefined : { path, reason: 'must be a string' };
    case 'personal-data':
      return typeof value === 'string' ? undefined : { path, reason: 'must be a string (stored encrypted)' };
    case 'one-of':
      return typeof value === 'string' && rule.values.includes(value)
        ? undefined
        : { path, reason: `must be one of ${rule.values.join(', ')}` };
    case 'integer':
      return Number.isSafeInteger(value) && (value as number) >= rule.min && (value as number) <= rule.max
        ? undefined
        : { path, reason: `must be an integer from ${rule.min} to ${rule.max}` };
    case 'score-on-scale-of': {
      const scale = SURVEY_SCALES[data[rule.field] as keyof typeof SURVEY_SCALES];
      if (!scale) return { path, reason: `cannot be checked: ${rule.field} is not a known scale` };
      return Number.isSafeInteger(value) && (value as number) >= scale.min && (value as number) <= scale.max
        ? undefined
        : {
            path,
            reason: `must be an integer from ${scale.min} to ${scale.max} on this ${rule.field}'s scale`,
          };
    }
    case 'boolean':
      return typeof value === 'boolean' ? undefined : { path, reason: 'must be true or false' };
    case 'money':
      return moneyProblem(value, path);
    case 'line-items':
      return lineItemsProblem(value, path);
    case 'object':
      return objectProblem(rule.fields, value, path);
  }
}

function objectProblem(
  fields: Extract<FieldRule, { kind: 'object' }>['fields'],
  value: unknown,
  path: string,
): EventProblem | undefined {
  if (!isPlainObject(value)) return { path, reason: 'must be an object' };
  for (const [field, spec] of Object.entries(fields)) {
    const fieldValue = value[field];
    if (fieldValue === undefined) {
      if (spec.required) return { path: `${path}.${field}`, reason: 'is required' };
      continue;
    }
    const problem = ruleProblem(spec.rule, fieldValue, `${path}.${field}`, value);
    if (problem) return problem;
  }
  return undefined;
}

/** The value at a field path (`page.url`), undefined where any step is missing. */
function valueAt(data: Record<string, unknown>, path: string): unknown {
  let value: unknown = data;
  for (const step of path.split('.')) value = isPlainObject(value) ? value[step] : undefined;
  return value;
}

function moneyProblem(value: unknown, path: string): EventProblem | undefined {
  if (!isPlainObject(value)) return { path, reason: 'must be money: { amountMinor, currency }' };
  if (!Number.isSafeInteger(value.amountMinor))
    return { path: `${path}.amountMinor`, reason: 'must be an integer number of minor units' };
  if (typeof value.currency !== 'string' || !CURRENCY_CODE.test(value.currency))
    return { path: `${path}.currency`, reason: 'must be a three-letter ISO 4217 code' };
  return undefined;
}

function lineItemsProblem(value: unknown, path: string): EventProblem | undefined {
  if (!Array.isArray(value)) return { path, reason: 'must be a list of line items' };
  for (const [index, item] of value.entries()) {
    const itemPath = `${path}[${index}]`;
    if (!isPlainObject(item))
      return { path: itemPath, reason: 'must be a line item: { sku, quantity, unitPrice }' };
    if (typeof item.sku !== 'string' || item.sku.length === 0)
      return { path: `${itemPath}.sku`, reason: 'must be a non-empty string' };
    if (!Number.isSafeInteger(item.quantity) || (item.quantity as number) < 1)
      return { path: `${itemPath}.quantity`, reason: 'must be a positive integer' };
    const problem = moneyProblem(item.unitPrice, `${itemPath}.unitPrice`);
    if (problem) return problem;
  }
  return undefined;
}

/**
 * The folds order instants by comparing their text, which holds only for one fixed format: the one
 * `Date.prototype.toISOString` writes, which is how the ledger stores every instant.
 */
/** What `Date#toISOString` writes for years 0 to 9999: `2026-11-20T10:00:00.000Z`. */
const CANONICAL_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

/**
 * Whether a value is an instant exactly as `toISOString` writes it (a real date, UTC, milliseconds). Checked
 * on every event of every fold, so by pattern and calendar rather than by parsing and formatting it again.
 */
function isCanonicalInstant(value: unknown): boolean {
  const match = typeof value === 'string' ? CANONICAL_INSTANT.exec(value) : null;
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
