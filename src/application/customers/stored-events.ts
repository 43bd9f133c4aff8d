import { v7 as uuidv7 } from 'uuid';
import {
  customerIdOfStream,
  newCustomerIdProblem,
  PII_FIELDS,
  schemaVersionOf,
} from '../../domain/customer-events';
import { AppendRequest, NewEvent } from '../../ports/event-store.port';
import { PiiCipher } from '../../privacy/pii-cipher';
import { findProblemBeforeAppend } from '../../../projections/event-guard';
import { FieldProblem, RequestValidationError } from '../../validation/request-validation';
import { clientField, DecidedItem, DecidedStream, RecordingContext } from './command-envelope';

/**
 * Decided events as the store keeps them: metadata added, checked against the event catalog's stored shape
 * (the one the projections hold every event to), personal data encrypted.
 */
export class StoredEvents {
  constructor(private readonly cipher: PiiCipher) {}

  async appendRequests(
    decided: readonly DecidedStream[],
    context: RecordingContext,
    fieldPath: (index: number) => string,
  ): Promise<AppendRequest[]> {
    const items = decided.flatMap((stream) =>
      stream.items.map((item) => ({
        ...item,
        streamId: stream.streamId,
        newStream: stream.expectedRevision === 'no_stream',
      })),
    );
    const plainEvents = items.map((item) => toNewEvent(item, context));
    refuseMalformed(items, plainEvents, fieldPath);
    const storedData = await this.cipher.encryptFields(
      items.map(({ envelope, event }, position) => ({
        subjectId: envelope.customerId,
        fields: PII_FIELDS[event.type],
        data: plainEvents[position]!.data,
      })),
    );
    const newEvents = plainEvents.map((event, position) => ({ ...event, data: storedData[position]! }));
    let offset = 0;
    return decided.map(({ streamId, expectedRevision, items: streamItems }) => {
      const events = newEvents.slice(offset, offset + streamItems.length);
      offset += streamItems.length;
      return { streamId, expectedRevision, events };
    });
  }
}

function toNewEvent({ envelope, event, firstOfCommand }: DecidedItem, context: RecordingContext): NewEvent {
  return {
    eventId: (firstOfCommand && envelope.eventId?.toLowerCase()) || uuidv7(),
    type: event.type,
    schemaVersion: schemaVersionOf(event.type),
    data: event.data as Record<string, unknown>,
    metadata: {
      occurredAt: envelope.command.occurredAt.toISOString(),
      recordedAt: context.now.toISOString(),
      actor: context.actor,
      ...context.attribution,
      channel: envelope.channel,
      correlationId: envelope.correlationId ?? context.correlationId,
      causationId: context.causationId,
      ...(envelope.undated && { undated: true }),
    },
  };
}

/**
 * Refuses, before anything is stored, every event that breaks the stored shape (a null where the catalog has
 * text, an unsafe integer, a stream name outside the id pattern) and every new stream named by personal data
 * (newCustomerIdProblem): each named as the client's body names it.
 * Every door's validation should have refused these already; this is the one place no door can bypass.
 */
function refuseMalformed(
  items: readonly (DecidedItem & { streamId: string; newStream: boolean })[],
  events: readonly NewEvent[],
  fieldPath: (index: number) => string,
): void {
  const problems: FieldProblem[] = [];
  items.forEach(({ streamId, newStream, index, envelope }, position) => {
    const idProblem = newStream ? newCustomerIdProblem(customerIdOfStream(streamId)) : undefined;
    if (idProblem) {
      problems.push({ field: `${fieldPath(index)}customerId`, message: `customerId ${idProblem}` });
      return;
    }
    const problem = findProblemBeforeAppend(streamId, events[position]!);
    if (!problem) return;
    const field =
      problem.path === 'streamId'
        ? 'customerId'
        : problem.path.startsWith('metadata.')
          ? problem.path.slice('metadata.'.length)
          : clientField(envelope.command, problem.path);
    problems.push({ field: fieldPath(index) + field, message: `${field} ${problem.reason}` });
  });
  if (problems.length > 0) throw new RequestValidationError(problems);
}
