import { SkippedEvent, toProjectedEventOrSkip } from '../../../projections/catalog';
import { ProjectedEvent, Projection } from '../../../projections/projection';
import { EventStore } from '../../ports/event-store.port';
import { ReadStore } from '../../ports/read-store.port';
import { customerEvents, keptByTypeAndTime, ReplayFilter } from './replay';
import { eventsOfMergedRecords } from '../../application/read-models/merged-records';
import { foldEvents } from '../../../projections/fold';

export interface WhatIfContext {
  readonly asOf: string;
  readonly ledgerCurrency: string;
}

/**
 * A what-if module (a .ts or .js file): a projection of the same `evolve` shape as projections/, and
 * optionally a label (a tier, a stage) to compare per document with the live read model's label.
 */
export interface WhatIfModule {
  readonly projection: Projection<object>;
  label?(doc: object, context: WhatIfContext): string;
  /** The label of a live document; `label` is used when absent. */
  liveLabel?(doc: object, context: WhatIfContext): string;
}

export interface WhatIfReport {
  readonly projection: string;
  readonly events: number;
  readonly documents: number;
  /** Malformed events left out of the fold (the live runner parks the same ones). */
  readonly skipped: readonly SkippedEvent[];
  /** Customers left out because their analytics or profiling consent is withdrawn as of `asOf`. */
  readonly leftOutWithoutConsent: number;
  readonly comparedWith?: string;
  readonly unchanged?: number;
  readonly changed?: number;
  readonly onlyInWhatIf?: number;
  readonly onlyLive?: number;
  /** Label transitions, e.g. { "silver -> gold": 12 }, for documents whose label differs. */
  readonly transitions?: Record<string, number>;
}

/**
 * How a what-if run treats customers: it is analytics and profiling at once, so it sees only customers whose
 * consent to both holds as of `asOf`, and writes documents under pseudonyms.
 */
export interface WhatIfAnalyst {
  readonly pseudonymOf: (customerId: string) => string;
  readonly consentGiven: (customerId: string) => Promise<boolean>;
}

/**
 * Folds a module's projection over history in memory; never touches the live read models. Documents handed to
 * `onDocument` carry pseudonyms instead of customer ids.
 */
export async function runWhatIf(
  module: WhatIfModule,
  store: EventStore,
  live: { reads: ReadStore; collection?: string },
  filter: ReplayFilter,
  context: WhatIfContext,
  analyst: WhatIfAnalyst,
  onDocument?: (id: string, doc: object) => void,
): Promise<WhatIfReport> {
  const { projection } = module;
  const docs = new Map<string, object>();
  let events = 0;
  const skipped: SkippedEvent[] = [];
  const keep = keptByTypeAndTime(filter);
  for await (const stored of customerEvents(store, filter)) {
    const event = toProjectedEventOrSkip(stored, skipped);
    if (!event) continue;
    // As the live runner does: at a merge the survivor is derived again from every record merged into it.
    const merges = new Map<number, ProjectedEvent[]>();
    if (event.type === 'CustomerMerged') {
      const upToPosition = event.position;
      merges.set(upToPosition, await eventsOfMergedRecords(store, event.customerId, { upToPosition, keep }));
    }
    const folded = foldEvents(projection, [event], (id) => docs.get(id) ?? null, merges);
    const failure = folded.failures.find(({ inMerge }) => !inMerge);
    if (failure) throw failure.error;
    folded.documents.forEach((doc, id) => (doc === null ? docs.delete(id) : docs.set(id, doc)));
    events += folded.folded;
  }
  const leftOut = new Set<string>();
  for (const [id, doc] of docs) {
    const { customerId } = doc as { customerId?: string };
    if (customerId === undefined) continue;
    if (leftOut.has(customerId) || !(await analyst.consentGiven(customerId))) {
      leftOut.add(customerId);
      docs.delete(id);
    }
  }
  for (const [id, doc] of docs) {
    const { customerId } = doc as { customerId?: string };
    if (customerId === undefined) onDocument?.(id, doc);
    else {
      const pseudonym = analyst.pseudonymOf(customerId);
      onDocument?.(id === customerId ? pseudonym : id, { ...doc, customerId: pseudonym });
    }
  }
  const report = {
    projection: projection.name,
    events,
    documents: docs.size,
    skipped,
    leftOutWithoutConsent: leftOut.size,
  };
  if (!live.collection) return report;

  const liveDocs = new Map<string, object>();
  for await (const doc of live.reads.scan<object>(live.collection))
    liveDocs.set(documentKey(projection, doc), doc);
  let unchanged = 0;
  let changed = 0;
  const transitions: Record<string, number> = {};
  for (const [id, doc] of docs) {
    const current = liveDocs.get(id);
    if (!current) continue;
    if (JSON.stringify(current) === JSON.stringify(doc)) unchanged++;
    else changed++;
    if (module.label) {
      const before = (module.liveLabel ?? module.label)(current, context);
      const after = module.label(doc, context);
      if (before !== after)
        transitions[`${before} -> ${after}`] = (transitions[`${before} -> ${after}`] ?? 0) + 1;
    }
  }
  return {
    ...report,
    comparedWith: live.collection,
    unchanged,
    changed,
    onlyInWhatIf: [...docs.keys()].filter((id) => !liveDocs.has(id)).length,
    onlyLive: [...liveDocs.keys()].filter((id) => !docs.has(id)).length,
    transitions,
  };
}

/** Live documents carry their id as customerId (per-customer models) or entryId (timeline). */
function documentKey(projection: Projection<object>, doc: object): string {
  const { customerId, entryId } = doc as { customerId?: string; entryId?: string };
  return projection.documentPerEvent ? String(entryId) : String(customerId);
}
