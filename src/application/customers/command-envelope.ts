import { Attribution } from '../../ports/attribution';
import { CustomerCommand, CustomerState } from '../../domain/customer.decider';
import { CustomerEvent } from '../../domain/customer-events';
import { ExpectedRevision } from '../../ports/event-store.port';
import { DomainError } from '../../domain/domain-error';

/** One command for one customer with the client's recording fields. */
export interface CommandEnvelope {
  readonly customerId: string;
  readonly command: CustomerCommand;
  readonly eventId?: string;
  readonly channel?: string;
  readonly correlationId?: string;
  /** The client sent no occurredAt: the server's clock gave it, so a retry is not compared on it. */
  readonly occurredAtDefaulted?: boolean;
  /** The source has no date for the fact: occurredAt is when it was recorded, and metadata says so. */
  readonly undated?: boolean;
}

/** Who records, on whose request, and when (the server's clock, passed in). */
export interface RecordingContext {
  readonly actor: string;
  /** The person's name and how they authenticated, kept beside `actor` (docs/staff-sign-in.md). */
  readonly attribution?: Attribution;
  readonly causationId: string;
  readonly correlationId: string;
  readonly now: Date;
  /** Field path of the n-th envelope in the request, for error messages (`touchpoints[3].`). */
  readonly fieldPath?: (index: number) => string;
}

export interface RecordedOutcome {
  readonly customerId: string;
  readonly eventId: string;
  readonly streamRevision: number;
  readonly position: number;
  readonly duplicate: boolean;
}

/**
 * An envelope still to decide, with its place in the request (for outcomes and field paths). The command
 * path's own commands (completing an unfinished merge, see merge-routing.ts) have no place: index -1.
 */
export interface Pending {
  readonly index: number;
  readonly envelope: CommandEnvelope;
}

/** One event a command decided. */
export interface DecidedItem extends Pending {
  readonly event: CustomerEvent;
  /** The first event of its command carries the client's event id; further ones get their own. */
  readonly firstOfCommand: boolean;
}

/** A stream's decided events, the revision they expect, and the state they leave. */
export interface DecidedStream {
  readonly streamId: string;
  readonly expectedRevision: ExpectedRevision;
  readonly state: CustomerState;
  readonly items: readonly DecidedItem[];
}

/** A differing or malformed field of a stored event named as the client's body names it. */
export function clientField(command: CustomerCommand, storedPath: string): string {
  const path = storedPath.replace(/\.amountMinor\b/g, '.amount');
  if (command.kind === 'RecordTouchpoint') return path;
  if (command.kind === 'RecordConsent' && path === 'type') return 'granted';
  return path.replace(/^data\./, '');
}

/** One request names each client event id once. */
export function rejectRepeatedEventIds(
  envelopes: readonly CommandEnvelope[],
  fieldPath: (index: number) => string,
): void {
  const seen = new Set<string>();
  envelopes.forEach((envelope, index) => {
    const eventId = envelope.eventId?.toLowerCase();
    if (!eventId) return;
    if (seen.has(eventId)) {
      throw new DomainError(
        'invalid',
        'repeated-event-id',
        'this event id appears twice in the request',
        `${fieldPath(index)}eventId`,
      );
    }
    seen.add(eventId);
  });
}
