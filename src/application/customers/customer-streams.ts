import { LRUCache } from 'lru-cache';
import { CustomerState, evolve, initialCustomerState, withAbsorbed } from '../../domain/customer.decider';
import { CustomerEvent, customerIdOfStream, customerStreamId } from '../../domain/customer-events';
import { EventStore, RecordedEvent } from '../../ports/event-store.port';

/** A customer's decision state and the stream revision it was folded up to (-1: no stream yet). */
export interface LoadedStream {
  readonly state: CustomerState;
  readonly revision: number;
}

/**
 * Loads customer streams for deciding: `events.reduce(evolve, initialState)`, from a cache of decided states
 * by stream revision. A cached state is brought up to date by reading the events after its revision, so
 * writers in other processes are safe.
 */
export class CustomerStreams {
  private readonly cache = new LRUCache<string, LoadedStream>({ max: 100_000 });

  constructor(private readonly store: EventStore) {}

  async load(streamId: string): Promise<LoadedStream> {
    const cached = this.cache.get(streamId) ?? {
      state: initialCustomerState(customerIdOfStream(streamId)),
      revision: -1,
    };
    const newer = await this.store.readStream(streamId, { fromRevision: cached.revision + 1 });
    if (newer.length === 0) return cached;
    return {
      state: newer.reduce(
        (state, event) => evolve(state, event as RecordedEvent & CustomerEvent),
        cached.state,
      ),
      revision: newer[newer.length - 1]!.streamRevision,
    };
  }

  /** A survivor decides with what its absorbed records brought (their complaints); they never change again. */
  async withAbsorbedRecords(state: CustomerState): Promise<CustomerState> {
    if (state.absorbed.length === 0) return state;
    const absorbed = await Promise.all(
      state.absorbed.map(async (id) =>
        this.withAbsorbedRecords((await this.load(customerStreamId(id))).state),
      ),
    );
    return withAbsorbed(state, absorbed);
  }

  /** The state a successful append left: the next command starts from it. */
  remember(streamId: string, stream: LoadedStream): void {
    this.cache.set(streamId, stream);
  }

  /** Another writer changed the stream: the next load reads it again. */
  forget(streamId: string): void {
    this.cache.delete(streamId);
  }
}
