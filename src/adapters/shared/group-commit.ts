import { AppendRequest, AppendResult } from '../../ports/event-store.port';

/** What one append call of a group came to: its results, or the error it alone was refused with. */
export type AppendOutcome = { readonly results: AppendResult[] } | { readonly error: unknown };

/**
 * Commits a group of append calls (each a list of requests) and answers one outcome per call, in order; throws
 * when the group as a whole failed, and then every call of it fails with that error.
 */
export type CommitGroup = (
  group: readonly (readonly AppendRequest[])[],
) => AppendOutcome[] | Promise<AppendOutcome[]>;

interface PendingAppend {
  readonly requests: readonly AppendRequest[];
  readonly resolve: (results: AppendResult[]) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit for a store that pays per transaction (an fsync, a WAL flush): append calls issued in the same turn
 * of the event loop, and those issued while a group is being committed, are committed together as the next
 * group. One group is committed at a time, so groups commit in the order they were formed.
 */
export class GroupCommitQueue {
  private queue: PendingAppend[] = [];
  private scheduled = false;
  private committing: Promise<void> | undefined;

  /** `committed` runs after each group that committed (to wake subscribers, say). */
  constructor(
    private readonly commitGroup: CommitGroup,
    private readonly committed: () => void = () => undefined,
  ) {}

  append(requests: readonly AppendRequest[]): Promise<AppendResult[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ requests, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once every append queued so far is committed (or failed): for closing the store. */
  async drain(): Promise<void> {
    while (this.committing || this.scheduled) {
      await (this.committing ?? new Promise((resolve) => setImmediate(resolve)));
    }
  }

  /** At the end of this turn of the event loop, unless a group is being committed: that one schedules the next. */
  private schedule(): void {
    if (this.scheduled || this.committing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.committing = this.commitQueued().finally(() => {
        this.committing = undefined;
        if (this.queue.length > 0) this.schedule();
      });
    });
  }

  private async commitQueued(): Promise<void> {
    const group = this.queue;
    this.queue = [];
    if (group.length === 0) return;
    let outcomes: AppendOutcome[];
    try {
      outcomes = await this.commitGroup(group.map((pending) => pending.requests));
    } catch (error) {
      for (const pending of group) pending.reject(error);
      return;
    }
    group.forEach((pending, index) => {
      const outcome = outcomes[index]!;
      if ('results' in outcome) pending.resolve(outcome.results);
      else pending.reject(outcome.error);
    });
    this.committed();
  }
}
