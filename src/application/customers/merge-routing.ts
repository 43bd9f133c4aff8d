import { v5 as uuidv5 } from 'uuid';
import { CustomerState, isMergeCommand, withAbsorbed } from '../../domain/customer.decider';
import { customerStreamId } from '../../domain/customer-events';
import { Pending } from './command-envelope';
import { CustomerStreams, LoadedStream } from './customer-streams';

/** Event ids of a merge derive from the pair, so asking for the same merge again is a retry, not a conflict. */
const MERGE_NAMESPACE = '6f1f6c1e-3a57-4e0c-9a55-2f0e1d0c7b41';

export function mergeEventIds({ survivorId, duplicateId }: { survivorId: string; duplicateId: string }): {
  mergedInto: string;
  absorbed: string;
} {
  const pair = `${survivorId}\n${duplicateId}`;
  return {
    mergedInto: uuidv5(`merged-into\n${pair}`, MERGE_NAMESPACE),
    absorbed: uuidv5(`absorbed\n${pair}`, MERGE_NAMESPACE),
  };
}

/**
 * Loads every stream the commands go to, following merges. A record merged into another takes no commands of
 * its own: they go to the survivor (to the end of a chain of merges), so the duplicate's id keeps working for
 * writers. Changes `pendingByStream` accordingly; the loaded states are ready to decide with (absorbed records
 * included).
 *
 * A merge is two appends, the duplicate's CustomerMergedInto first, then the survivor's CustomerMerged (see
 * CustomerLedger): a crash between them leaves a duplicate closed into a survivor that does not list it. Such a
 * merge is completed here, on the next command that touches the duplicate (the merge's own retry included):
 * the survivor's CustomerMerged is decided first, with the merge's own event id, so that it is recorded once.
 */
export async function loadFollowingMerges(
  streams: CustomerStreams,
  pendingByStream: Map<string, Pending[]>,
  now: Date,
): Promise<Map<string, LoadedStream>> {
  const loaded = new Map<string, LoadedStream>();
  const load = async (streamId: string) => {
    const stream = loaded.get(streamId) ?? (await streams.load(streamId));
    loaded.set(streamId, stream);
    return stream;
  };
  /** Survivors whose unfinished merges are completed here: the duplicates' states they decide with too. */
  const completing = new Map<string, CustomerState[]>();
  const unloaded = [...pendingByStream.keys()];
  while (unloaded.length > 0) {
    const streamId = unloaded.pop()!;
    const stream = await load(streamId);
    const survivorId = stream.state.mergedInto;
    const pending = pendingByStream.get(streamId) ?? [];
    const redirected = pending.filter(({ envelope }) => !isMergeCommand(envelope.command));
    if (survivorId === undefined || redirected.length === 0) continue;
    const kept = pending.filter(({ envelope }) => isMergeCommand(envelope.command));
    if (kept.length > 0) pendingByStream.set(streamId, kept);
    else pendingByStream.delete(streamId);
    const survivorStream = customerStreamId(survivorId);
    const survivor = await load(survivorStream);
    const duplicateId = stream.state.customerId;
    const completion: Pending[] = [];
    if (!survivor.state.absorbed.includes(duplicateId)) {
      completion.push({ index: -1, envelope: absorbing(survivorId, duplicateId, now) });
      completing.set(survivorStream, [...(completing.get(survivorStream) ?? []), stream.state]);
    }
    pendingByStream.set(
      survivorStream,
      [
        ...(pendingByStream.get(survivorStream) ?? []),
        ...completion,
        ...redirected.map(({ index, envelope }) => ({
          index,
          envelope: { ...envelope, customerId: survivorId },
        })),
      ].sort((a, b) => a.index - b.index),
    );
    unloaded.push(survivorStream);
  }
  for (const streamId of pendingByStream.keys()) {
    const stream = loaded.get(streamId)!;
    const absorbed = await Promise.all(
      (completing.get(streamId) ?? []).map((state) => streams.withAbsorbedRecords(state)),
    );
    const state = withAbsorbed(await streams.withAbsorbedRecords(stream.state), absorbed);
    loaded.set(streamId, { ...stream, state });
  }
  return loaded;
}

/** The survivor's half of a merge, as MergeCustomers sends it. */
export function absorbing(survivorId: string, duplicateId: string, occurredAt: Date) {
  return {
    customerId: survivorId,
    eventId: mergeEventIds({ survivorId, duplicateId }).absorbed,
    occurredAtDefaulted: true,
    command: { kind: 'AbsorbDuplicate' as const, duplicateId, occurredAt },
  };
}

/** The duplicate's half of a merge, as MergeCustomers sends it. */
export function mergingInto(duplicateId: string, survivorId: string, occurredAt: Date) {
  return {
    customerId: duplicateId,
    eventId: mergeEventIds({ survivorId, duplicateId }).mergedInto,
    occurredAtDefaulted: true,
    command: { kind: 'MergeInto' as const, survivorId, occurredAt },
  };
}
