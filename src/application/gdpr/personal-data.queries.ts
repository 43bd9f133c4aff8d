import { Inject } from '@nestjs/common';
import { Attribution } from '../../ports/attribution';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { IsEmail, IsString, Matches } from 'class-validator';
import { CUSTOMER_ID_PATTERN, customerStreamId, piiFieldsOf } from '../../domain/customer-events';
import { DomainError, unknownCustomer } from '../../domain/domain-error';
import { EVENT_STORE, EventStore, RecordedEvent } from '../../ports/event-store.port';
import { VerificationReport } from '../../ports/hash-chain';
import { SUBJECT_KEY_STORE, SubjectKeyStore } from '../../ports/subject-key-store.port';
import { verifyLog, verifyStreams } from './log-verification';
import { ReadModels } from '../read-models/read-models';
import { readMergedRecordsInPages } from '../read-models/merged-records';
import { jsonInPieces, PagedArray } from './json-in-pieces';
import { AccessLog, accessStreamId } from '../../privacy/access-log';
import { EmailDirectory } from '../../privacy/email-directory';
import { PiiCipher } from '../../privacy/pii-cipher';
import { Pseudonyms } from '../../privacy/pseudonyms';
import { CustomerSummary } from '../../../projections/customer-summary.projection';
import { FunnelPosition } from '../../../projections/funnel.projection';
import { LoyaltyFacts } from '../../../projections/loyalty.projection';
import { IsOmittable } from '../../validation/validators';

/**
 * A customer's events, and those of the records merged into it (each in its own stream, after the
 * customer's), with personal data decrypted (or shown as erased), page by page.
 */
async function* decryptedPages(
  store: EventStore,
  cipher: PiiCipher,
  customerId: string,
): AsyncIterable<RecordedEvent[]> {
  for await (const { recordId, events } of readMergedRecordsInPages(store, customerId)) {
    const decrypted: RecordedEvent[] = [];
    for (const event of events) {
      const data = await cipher.decryptFields(recordId, piiFieldsOf(event.type), event.data);
      decrypted.push({ ...event, data });
    }
    yield decrypted;
  }
}

/** Refuses a customer without events before anything is written of an answer about them. */
async function ensureRecorded(store: EventStore, customerId: string): Promise<void> {
  const [first] = await store.readStream(customerStreamId(customerId), { maxCount: 1 });
  if (!first) throw unknownCustomer(customerId);
}

/**
 * A JSON document written in pieces as it is read (see jsonInPieces): answers that grow with a customer's
 * history. The HTTP interface streams the pieces into the reply, the CLI into its output.
 */
export type JsonPieces = AsyncIterable<string>;

/** Subject access export (GDPR Art. 15 and 20): everything held about one customer, machine-readable. */
export interface SubjectExport {
  readonly format: 'customer-interaction-ledger/subject-export/v1';
  readonly customerId: string;
  readonly exportedAt: string;
  /** The customer's events and those of the records merged into it, personal data decrypted. */
  readonly events: readonly RecordedEvent[];
  readonly readModels: {
    readonly summary?: CustomerSummary;
    readonly loyalty?: LoyaltyFacts;
    readonly funnel?: FunnelPosition;
  };
  readonly accessLog: readonly Record<string, unknown>[];
}

/**
 * The subject access export (a SubjectExport document, written in pieces). The
 * events are read and written page by page; the read models and the access log (as they stood before this
 * export) are read first, as the answer starts.
 */
export class ExportSubject extends Query<JsonPieces> {
  constructor(readonly customerId: string) {
    super();
  }
}

@QueryHandler(ExportSubject)
export class ExportSubjectHandler implements IQueryHandler<ExportSubject> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly cipher: PiiCipher,
    private readonly readModels: ReadModels,
    private readonly accessLog: AccessLog,
  ) {}

  async execute({ customerId }: ExportSubject): Promise<JsonPieces> {
    await ensureRecorded(this.store, customerId);
    const [summary, loyalty, funnel, accessLog] = await Promise.all([
      this.readModels.summary(customerId),
      this.readModels.loyaltyFacts(customerId),
      this.readModels.funnel(customerId),
      this.accessLog.entries(customerId),
    ]);
    return jsonInPieces<SubjectExport>({
      format: 'customer-interaction-ledger/subject-export/v1',
      customerId,
      exportedAt: new Date().toISOString(),
      events: new PagedArray(decryptedPages(this.store, this.cipher, customerId)),
      readModels: {
        summary:
          summary &&
          (await this.cipher.decryptFields(customerId, ['name', 'email', 'phone'], { ...summary })),
        loyalty,
        funnel,
      },
      accessLog,
    });
  }
}

/** One event of the audit trail: who recorded it, when, how; contact changes field by field. */
export interface AuditedEvent {
  readonly position: number;
  readonly streamRevision: number;
  readonly eventId: string;
  readonly type: string;
  readonly occurredAt?: string;
  readonly recordedAt?: string;
  readonly actor?: string;
  /** The person's display name when the actor is a person (staff sign-in), and how they authenticated. */
  readonly actorName?: string;
  readonly authentication?: string;
  readonly channel?: string;
  readonly correlationId?: string;
  readonly legalBasis?: unknown;
  readonly reason?: unknown;
  readonly changes?: readonly { readonly field: string; readonly before: unknown; readonly after: unknown }[];
}

/** Audit trail: every event with who, when and on which channel, field-level contact changes, and the access log. */
export interface AuditTrail {
  readonly customerId: string;
  readonly events: readonly AuditedEvent[];
  readonly accessLog: readonly Record<string, unknown>[];
}

/**
 * The audit trail (an AuditTrail document, written in pieces); the access log as it stood before this read.
 * Written page by page, like the export.
 */
export class ReadAuditTrail extends Query<JsonPieces> {
  constructor(readonly customerId: string) {
    super();
  }
}

@QueryHandler(ReadAuditTrail)
export class ReadAuditTrailHandler implements IQueryHandler<ReadAuditTrail> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly cipher: PiiCipher,
    private readonly accessLog: AccessLog,
  ) {}

  async execute({ customerId }: ReadAuditTrail): Promise<JsonPieces> {
    await ensureRecorded(this.store, customerId);
    const accessLog = await this.accessLog.entries(customerId);
    return jsonInPieces<AuditTrail>({
      customerId,
      events: new PagedArray(auditEntries(decryptedPages(this.store, this.cipher, customerId))),
      accessLog,
    });
  }
}

/** Each event as the audit trail shows it; contact changes are told against the values as they stood before. */
async function* auditEntries(pages: AsyncIterable<readonly RecordedEvent[]>): AsyncIterable<AuditedEvent[]> {
  const current: Record<string, unknown> = {};
  for await (const events of pages) {
    yield events.map((event): AuditedEvent => {
      const { occurredAt, recordedAt, actor, actorName, authentication, channel, correlationId } =
        event.metadata as Record<string, string>;
      const data = event.data as Record<string, unknown>;
      const contactFields = ['name', 'email', 'phone'].filter((field) => data[field] !== undefined);
      const changes =
        event.type === 'CustomerRegistered' || event.type === 'ContactDetailsChanged'
          ? contactFields.map((field) => ({ field, before: current[field] ?? null, after: data[field] }))
          : undefined;
      contactFields.forEach((field) => (current[field] = data[field]));
      return {
        position: event.position,
        streamRevision: event.streamRevision,
        eventId: event.eventId,
        type: event.type,
        occurredAt,
        recordedAt,
        actor,
        actorName,
        authentication,
        channel,
        correlationId,
        legalBasis: data.legalBasis,
        reason: data.reason,
        changes,
      };
    });
  }
}

export class VerifyParams {
  @IsOmittable()
  @IsString()
  @Matches(CUSTOMER_ID_PATTERN, { message: 'customerId must match ^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$' })
  customerId?: string;
}

/**
 * Verifies one customer's streams (chains and heads) or the whole log (chains, positions, every stream's head
 * and the store's own counts) and reports the first break.
 */
export class VerifyChains extends Query<VerificationReport> {
  constructor(readonly customerId?: string) {
    super();
  }
}

@QueryHandler(VerifyChains)
export class VerifyChainsHandler implements IQueryHandler<VerifyChains> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ customerId }: VerifyChains): Promise<VerificationReport> {
    if (!customerId) return verifyLog(this.store);
    const streamId = customerStreamId(customerId);
    // Unknown only when neither a head nor an event says otherwise: removed events must show as a break.
    const [head, [first]] = await Promise.all([
      this.store.streamHead(streamId),
      this.store.readStream(streamId, { maxCount: 1 }),
    ]);
    if ((head?.streamRevision ?? -1) < 0 && !first) throw unknownCustomer(customerId);
    return verifyStreams(this.store, [streamId, accessStreamId(customerId)]);
  }
}

export class EmailLookupParams {
  @IsEmail() email: string;
}

/** Who reads personal data, on which request: what the access log records. */
export interface PersonalDataReader {
  readonly actor: string;
  readonly requestId: string;
  readonly attribution?: Attribution;
}

/**
 * Customers whose current e-mail address is the given one (blind-index lookup). Telling who owns an address
 * is a read of that customer's personal data: each match is entered in the access log.
 */
export class FindCustomersByEmail extends Query<{ customers: { customerId: string }[] }> {
  constructor(
    readonly email: string,
    readonly reader: PersonalDataReader,
  ) {
    super();
  }
}

@QueryHandler(FindCustomersByEmail)
export class FindCustomersByEmailHandler implements IQueryHandler<FindCustomersByEmail> {
  constructor(
    private readonly directory: EmailDirectory,
    private readonly accessLog: AccessLog,
  ) {}

  async execute({ email, reader }: FindCustomersByEmail) {
    const customerIds = await this.directory.find(email);
    for (const customerId of customerIds) {
      await this.accessLog.record(
        customerId,
        reader.actor,
        'email-lookup',
        reader.requestId,
        reader.attribution,
      );
    }
    return { customers: customerIds.map((customerId) => ({ customerId })) };
  }
}

/** The customer behind an analyst's pseudonym, for auditors and admins; the resolution is access-logged. */
export class ResolvePseudonym extends Query<{ pseudonym: string; customerId: string }> {
  constructor(
    readonly pseudonym: string,
    readonly reader: PersonalDataReader,
  ) {
    super();
  }
}

@QueryHandler(ResolvePseudonym)
export class ResolvePseudonymHandler implements IQueryHandler<ResolvePseudonym> {
  constructor(
    private readonly pseudonyms: Pseudonyms,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(SUBJECT_KEY_STORE) private readonly keys: SubjectKeyStore,
    private readonly accessLog: AccessLog,
  ) {}

  /** The id behind a pseudonym, unless the customer was erased: then the pseudonym names no one any more. */
  async execute({ pseudonym, reader }: ResolvePseudonym) {
    const customerId = this.pseudonyms.resolve(pseudonym);
    if (customerId === undefined || (await this.store.streamRevision(customerStreamId(customerId))) < 0) {
      throw new DomainError(
        'not-found',
        'unknown-pseudonym',
        `no customer has the pseudonym ${pseudonym}`,
        'pseudonym',
      );
    }
    if ((await this.keys.find([customerId])).get(customerId) === 'erased') {
      throw new DomainError(
        'gone',
        'pseudonym-erased',
        `the customer behind ${pseudonym} was erased: the pseudonym resolves to no one`,
        'pseudonym',
      );
    }
    await this.accessLog.record(
      customerId,
      reader.actor,
      'pseudonym-resolution',
      reader.requestId,
      reader.attribution,
    );
    return { pseudonym, customerId };
  }
}
