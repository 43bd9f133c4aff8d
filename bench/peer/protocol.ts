/**
 * What bench/peer-comparison.ts (ours) and bench/peer/emmett-bench.ts (the peer) share: the run's parameters, the
 * result the peer reports, and the one projection both fold. No dependencies, so that both sides compile it.
 */

/** One event as both sides store it: the ledger's type, data and metadata, without the ids each store makes. */
export interface EventTemplate {
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly metadata: Record<string, unknown>;
}

export interface PeerRun {
  readonly directory: string;
  /** JSON array of EventTemplate; event i of the run is template i modulo its length. */
  readonly templatesFile: string;
  readonly streams: number;
  readonly singles: number;
  readonly batches: number;
  readonly batchSize: number;
  readonly foldPageSize: number;
  /** Where the peer writes its PeerResult as JSON. */
  readonly resultFile: string;
}

export interface PeerMeasurement {
  readonly events: number;
  readonly seconds: number;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
}

/** The fold's answer, to check that both sides folded the same events the same way. */
export interface FoldTotals {
  readonly streams: number;
  readonly events: number;
  readonly purchases: number;
  readonly revenueMinor: number;
}

export interface PeerResult {
  readonly versions: { emmett: string; emmettSqlite: string; sqlite3: string; sqlite: string };
  readonly journalMode: string;
  readonly synchronous: number;
  /** Appends whose commit failed with SQLITE_BUSY and that were run again (see emmett-bench.ts). */
  readonly retriedAppends: number;
  readonly singles: PeerMeasurement;
  readonly batches: PeerMeasurement;
  readonly fold: PeerMeasurement & { readonly totals: FoldTotals };
}

/** Count and purchase revenue per stream: the one projection both sides fold. */
export class StreamTotals {
  private readonly perStream = new Map<string, { events: number; purchases: number; revenueMinor: number }>();

  evolve(streamId: string, type: string, data: Record<string, unknown>): void {
    let totals = this.perStream.get(streamId);
    if (!totals) {
      totals = { events: 0, purchases: 0, revenueMinor: 0 };
      this.perStream.set(streamId, totals);
    }
    totals.events++;
    if (type === 'PurchaseCompleted') {
      totals.purchases++;
      totals.revenueMinor += (data.total as { amountMinor: number }).amountMinor;
    }
  }

  summary(): FoldTotals {
    let events = 0;
    let purchases = 0;
    let revenueMinor = 0;
    for (const totals of this.perStream.values()) {
      events += totals.events;
      purchases += totals.purchases;
      revenueMinor += totals.revenueMinor;
    }
    return { streams: this.perStream.size, events, purchases, revenueMinor };
  }
}

export function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return 0;
  return sortedMs[Math.min(sortedMs.length - 1, Math.floor((p / 100) * sortedMs.length))]!;
}
