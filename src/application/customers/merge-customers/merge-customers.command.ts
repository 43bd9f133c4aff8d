import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CustomerLedger, RecordedOutcome, RecordingContext } from '../customer-ledger';
import { absorbing, mergingInto } from '../merge-routing';

export interface Merge {
  /** The registered customer that stays and takes the duplicate's history. */
  readonly survivorId: string;
  /** The record merged away: a registered customer or an anonymous visitor's profile. */
  readonly duplicateId: string;
}

export interface MergeOutcome extends Merge {
  /** Log position of the merge: a read given it as minimum position shows the merged profile. */
  readonly position: number;
  /** The same merge was recorded before: this is its original outcome. */
  readonly duplicate: boolean;
  /** The event on each stream: CustomerMergedInto on the duplicate, CustomerMerged on the survivor. */
  readonly events: readonly RecordedOutcome[];
}

/**
 * Merges two records of one person: CustomerMergedInto closes the duplicate's stream, then CustomerMerged on the
 * survivor names it (both decided before either is appended; a crash between the two appends is completed by
 * the next command to the duplicate, this merge's retry included: see merge-routing.ts). Read models re-derive the survivor from both histories; the
 * duplicate's id then stands for the survivor.
 */
export class MergeCustomers extends Command<MergeOutcome> {
  constructor(
    readonly merge: Merge,
    readonly context: RecordingContext,
  ) {
    super();
  }
}

@CommandHandler(MergeCustomers)
export class MergeCustomersHandler implements ICommandHandler<MergeCustomers> {
  constructor(private readonly ledger: CustomerLedger) {}

  async execute({ merge, context }: MergeCustomers): Promise<MergeOutcome> {
    const { survivorId, duplicateId } = merge;
    const events = await this.ledger.execute(
      [mergingInto(duplicateId, survivorId, context.now), absorbing(survivorId, duplicateId, context.now)],
      { ...context, fieldPath: () => '' },
    );
    return {
      survivorId,
      duplicateId,
      position: Math.max(...events.map((event) => event.position)),
      duplicate: events.every((event) => event.duplicate),
      events,
    };
  }
}
