import { AppendRequest, AppendResult } from '../../ports/event-store.port';
import { AppendOutcome, GroupCommitQueue } from './group-commit';

const request = (streamId: string): AppendRequest => ({ streamId, expectedRevision: 'any', events: [] });
const resultOf = (requests: readonly AppendRequest[]): AppendResult[] =>
  requests.map(({ streamId }) => ({ streamId, streamRevision: -1, events: [] }));

/** A store's commit that records each group by its streams, refuses calls to `refused-*`, and can be held. */
function recordingCommit() {
  const groups: string[][] = [];
  let release: (() => void) | undefined;
  let held: Promise<void> | undefined;
  return {
    groups,
    hold: () => (held = new Promise((resolve) => (release = resolve))),
    release: () => release?.(),
    commit: async (group: readonly (readonly AppendRequest[])[]): Promise<AppendOutcome[]> => {
      groups.push(group.map((requests) => requests.map((each) => each.streamId).join('+')));
      await held;
      held = undefined;
      if (group.some((requests) => requests.some((each) => each.streamId === 'broken'))) {
        throw new Error('the transaction failed');
      }
      return group.map((requests) =>
        requests.some((each) => each.streamId.startsWith('refused'))
          ? { error: new Error(`refused ${requests[0]!.streamId}`) }
          : { results: resultOf(requests) },
      );
    },
  };
}

describe('GroupCommitQueue', () => {
  it('commits the appends of one turn as one group and answers each call with its own outcome', async () => {
    const store = recordingCommit();
    let committed = 0;
    const queue = new GroupCommitQueue(store.commit, () => committed++);

    const outcomes = await Promise.allSettled([
      queue.append([request('a')]),
      queue.append([request('refused-b')]),
      queue.append([request('c'), request('d')]),
    ]);

    expect(store.groups).toEqual([['a', 'refused-b', 'c+d']]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[2] as PromiseFulfilledResult<AppendResult[]>).value.map((r) => r.streamId)).toEqual([
      'c',
      'd',
    ]);
    expect(committed).toBe(1);
  });

  it('makes the appends issued while a group commits the next group, committed after it', async () => {
    const store = recordingCommit();
    const queue = new GroupCommitQueue(store.commit);
    store.hold();
    const first = queue.append([request('a')]);
    await new Promise((resolve) => setImmediate(resolve));
    const later = [queue.append([request('b')]), queue.append([request('c')])];
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.groups).toEqual([['a']]);

    store.release();
    await Promise.all([first, ...later]);

    expect(store.groups).toEqual([['a'], ['b', 'c']]);
  });

  it('fails every call of a group that fails as a whole, and goes on with the next group', async () => {
    const store = recordingCommit();
    let committed = 0;
    const queue = new GroupCommitQueue(store.commit, () => committed++);

    const failed = await Promise.allSettled([
      queue.append([request('a')]),
      queue.append([request('broken')]),
    ]);
    const next = await queue.append([request('c')]);

    expect(failed.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    expect(next.map((result) => result.streamId)).toEqual(['c']);
    expect(committed).toBe(1);
  });

  it('drains: resolves once every append queued so far is answered', async () => {
    const store = recordingCommit();
    const queue = new GroupCommitQueue(store.commit);
    const answered: string[] = [];
    void queue.append([request('a')]).then(() => answered.push('a'));

    await queue.drain();

    expect(answered).toEqual(['a']);
  });
});
