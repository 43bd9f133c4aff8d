import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { v5 as uuidv5 } from 'uuid';
import { CustomerLedger, RecordedOutcome, RecordingContext } from '../customer-ledger';

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

/** Event ids of a merge derive from the pair, so asking for the same merge again is a retry, not a conflict. */
const MERGE_NAMESPACE = '6f1f6c1e-3a57-4e0c-9a55-2f0e1d0c7b41';

export function mergeEventIds({ survivorId, duplicateId }: Merge): { mergedInto: string; absorbed: string } {
  const pair = `${survivorId}\n${duplicateId}`;
  return {
    mergedInto: uuidv5(`merged-into\n${pair}`, MERGE_NAMESPACE),
    absorbed: uuidv5(`absorbed\n${pair}`, MERGE_NAMESPACE),
  };
}

/**
 * Merges two records of one person, atomically: CustomerMergedInto closes the duplicate's stream and
 * CustomerMerged on the survivor names it. Read models re-derive the survivor from both histories; the
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
    const ids = mergeEventIds(merge);
    const occurredAt = context.now;
    const events = await this.ledger.execute(
      [
        {
          customerId: duplicateId,
          eventId: ids.mergedInto,
          occurredAtDefaulted: true,
          command: { kind: 'MergeInto', survivorId, occurredAt },
        },
        {
          customerId: survivorId,
          eventId: ids.absorbed,
          occurredAtDefaulted: true,
          command: { kind: 'AbsorbDuplicate', duplicateId, occurredAt },
        },
      ],
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
