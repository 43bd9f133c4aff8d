import { CustomerEvent } from '../src/domain/customer-events';
import { IndexKey } from '../src/ports/read-store.port';
import { PopulationFigure } from './population-figure';

/** A stored customer event as projections see it: the stored data (personal data still encrypted). */
export type ProjectedEvent = CustomerEvent & {
  readonly eventId: string;
  /** The customer the event is about: its record's own id, or the survivor's once that record was merged. */
  readonly customerId: string;
  /** The record whose stream holds the event, and whose data key encrypted its personal data. */
  readonly subjectId: string;
  readonly streamRevision: number;
  /** Global position: strictly increasing, so a document can tell which events it has seen. */
  readonly position: number;
  readonly occurredAt: string;
  readonly recordedAt: string;
  readonly actor: string;
  readonly channel?: string;
  /** Retention removed the data (only types whose data no fold needs: see RETAINABLE_EVENT_TYPES). */
  readonly redacted?: boolean;
};

/**
 * A read model as a pure fold: `evolve(doc | null, event) => doc | null` over the events that `documentId`
 * routes to one document. The same code runs live, in rebuilds, in replays and in what-if runs.
 */
export interface Projection<Doc extends object> {
  readonly name: string;
  /** Bumped when the document shape or the fold changes: the read model then needs a rebuild. */
  readonly version: number;
  readonly indexes: readonly (readonly IndexKey[])[];
  /** Each event makes a document of its own (keyed by event id): nothing needs looking up before folding. */
  readonly documentPerEvent?: boolean;
  /**
   * The document an event updates, or undefined when the projection ignores it. Every event of a document
   * lies in one customer's streams (its own and those of the records merged into it): a retry of parked events
   * or a merge re-derives a document by folding them again.
   */
  documentId(event: ProjectedEvent): string | undefined;
  evolve(doc: Doc | null, event: ProjectedEvent): Doc | null;
  /** Figures about all customers kept up to date from this projection's documents (see PopulationFigure). */
  readonly figures?: readonly PopulationFigure<Doc>[];
}

export { CUSTOMER_STREAM_PREFIX } from '../src/domain/customer-events';

/** Documents that fold many events remember the last position folded, so folding an event again is a no-op. */
export interface PositionedDoc {
  readonly position: number;
}

export function alreadyFolded(doc: PositionedDoc | null, event: ProjectedEvent): boolean {
  return doc !== null && event.position <= doc.position;
}

/** Days between two ISO instants. */
export function daysBetween(from: string, to: string): number {
  return (Date.parse(to) - Date.parse(from)) / 86_400_000;
}
