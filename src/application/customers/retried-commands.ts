import {
  customerIdOfStream,
  customerStreamId,
  CustomerEvent,
  PII_FIELDS,
} from '../../domain/customer-events';
import { isMergeCommand, requestedEvent } from '../../domain/customer.decider';
import { DomainError } from '../../domain/domain-error';
import { firstDifference } from '../../domain/event-identity';
import { AppendResult, EventStore } from '../../ports/event-store.port';
import { ERASED_VALUE, PiiCipher } from '../../privacy/pii-cipher';
import { survivorOfRecord } from '../read-models/merged-records';
import { clientField, CommandEnvelope, DecidedStream, RecordedOutcome } from './command-envelope';

/**
 * Idempotency of the command path: an event id is bound to one body. A command whose client event id is
 * stored already answers its original outcome (marked duplicate), provided the stored event is what the
 * command asks for now; 409 naming the first differing field otherwise.
 */
export class RetriedCommands {
  constructor(
    private readonly store: EventStore,
    private readonly cipher: PiiCipher,
  ) {}

  /** Commands whose client event id is stored already: their original outcome, marked duplicate. */
  async alreadyRecorded(
    envelopes: readonly CommandEnvelope[],
    fieldPath: (index: number) => string,
  ): Promise<(RecordedOutcome | undefined)[]> {
    const eventIds = envelopes.flatMap((envelope) => (envelope.eventId ? [envelope.eventId] : []));
    const found = eventIds.length > 0 ? await this.store.findEvents(eventIds) : new Map();
    return Promise.all(
      envelopes.map(async (envelope, index) => {
        const location = envelope.eventId ? found.get(envelope.eventId.toLowerCase()) : undefined;
        if (!location) return undefined;
        if (
          location.streamId !== customerStreamId(envelope.customerId) &&
          (isMergeCommand(envelope.command) ||
            location.streamId !== customerStreamId(await survivorOfRecord(this.store, envelope.customerId)))
        ) {
          throw new DomainError(
            'conflict',
            'event-id-reused',
            `event id ${envelope.eventId} is already used in another customer's stream`,
            `${fieldPath(index)}eventId`,
          );
        }
        // Recorded on the survivor of a merge: compared (and decrypted) as the survivor's.
        const recorded = { ...envelope, customerId: customerIdOfStream(location.streamId) };
        await this.checkSameBody(recorded, location.streamId, location.streamRevision, fieldPath(index));
        return {
          customerId: recorded.customerId,
          eventId: location.eventId,
          streamRevision: location.streamRevision,
          position: location.position,
          duplicate: true,
        };
      }),
    );
  }

  /**
   * A concurrent request with the same event id got there first (the append reported it a duplicate): the
   * same body, or a conflict as in alreadyRecorded. The command path's own commands (index -1) are not compared.
   */
  async checkConcurrentDuplicates(
    decided: readonly DecidedStream[],
    results: readonly AppendResult[],
    fieldPath: (index: number) => string,
  ): Promise<void> {
    for (const [streamIndex, result] of results.entries()) {
      for (const [eventIndex, appended] of result.events.entries()) {
        const { index, envelope, firstOfCommand } = decided[streamIndex]!.items[eventIndex]!;
        if (appended.duplicate && firstOfCommand && index >= 0) {
          await this.checkSameBody(envelope, result.streamId, appended.streamRevision, fieldPath(index));
        }
      }
    }
  }

  /**
   * The stored event must be what this request asks for (personal data decrypted for the comparison only;
   * fields whose key was destroyed cannot be compared). 409 naming the id and the first differing field
   * otherwise.
   */
  async checkSameBody(
    envelope: CommandEnvelope,
    streamId: string,
    streamRevision: number,
    fieldPathPrefix: string,
  ): Promise<void> {
    const [stored] = await this.store.readStream(streamId, { fromRevision: streamRevision, maxCount: 1 });
    if (!stored) return;
    const piiFields = PII_FIELDS[stored.type as CustomerEvent['type']] ?? [];
    const data = await this.cipher.decryptFields(envelope.customerId, piiFields, stored.data);
    const requested = requestedEvent(envelope.command);
    const differing = firstDifference(
      {
        type: stored.type,
        data,
        occurredAt: String(stored.metadata.occurredAt),
        channel: stored.metadata.channel as string | undefined,
        correlationId: stored.metadata.correlationId as string | undefined,
      },
      {
        type: requested.type,
        data: requested.data as Record<string, unknown>,
        occurredAt: envelope.occurredAtDefaulted ? undefined : envelope.command.occurredAt.toISOString(),
        channel: envelope.channel,
        correlationId: envelope.correlationId,
      },
      piiFields.filter((field) => data[field] === ERASED_VALUE),
    );
    if (differing === undefined) return;
    const field = fieldPathPrefix + clientField(envelope.command, differing);
    throw new DomainError(
      'conflict',
      'event-id-reused',
      `event id ${stored.eventId} was recorded with another body: ${field} differs (a retry must resend the same body; a new fact needs a new event id)`,
      field,
    );
  }
}
