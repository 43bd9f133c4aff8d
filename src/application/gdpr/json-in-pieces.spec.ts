import { jsonInPieces, PagedArray } from './json-in-pieces';

async function textOf(pieces: AsyncIterable<string>): Promise<{ text: string; count: number }> {
  let text = '';
  let count = 0;
  for await (const piece of pieces) {
    text += piece;
    count++;
  }
  return { text, count };
}

async function* pages<Item>(...each: Item[][]): AsyncIterable<Item[]> {
  yield* each;
}

describe('jsonInPieces', () => {
  it('writes the same text as JSON.stringify of the whole document, one piece per page', async () => {
    const events: unknown[][] = [
      [{ a: 1 }, { b: 'two' }],
      [],
      [{ c: [3, null] }, undefined],
      [{ d: 'ü\u2028"' }],
    ];
    const { text, count } = await textOf(
      jsonInPieces({
        format: 'v1',
        skipped: undefined,
        events: new PagedArray(pages(...events)),
        tail: { nested: true, list: [1, 2] },
      }),
    );

    expect(text).toBe(
      JSON.stringify({ format: 'v1', events: events.flat(), tail: { nested: true, list: [1, 2] } }),
    );
    // format, three pages with items, the array's end, tail, the object's end.
    expect(count).toBe(7);
  });

  it('writes an array without pages, and an empty document', async () => {
    expect((await textOf(jsonInPieces({ events: new PagedArray(pages()), n: 0 }))).text).toBe(
      '{"events":[],"n":0}',
    );
    expect((await textOf(jsonInPieces({}))).text).toBe('{}');
  });
});
