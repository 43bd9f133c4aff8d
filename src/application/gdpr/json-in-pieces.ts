import { yieldToEventLoop } from '../../ports/event-store.port';

/** An array field of a JSON document whose items come in pages: written page by page, never held whole. */
export class PagedArray<Item> {
  constructor(readonly pages: AsyncIterable<readonly Item[]>) {}
}

/** A document whose arrays may come as PagedArray: the shape it is written in is the Document's. */
export type InPieces<Document> = {
  readonly [Field in keyof Document]: Document[Field] extends readonly (infer Item)[]
    ? Document[Field] | PagedArray<Item>
    : Document[Field];
};

/**
 * A JSON object as text in pieces, fields in the order given: plain values whole, PagedArray fields one piece
 * per page, with the event loop given a turn after each page. Answers that grow with a customer's history
 * (exports, audit trails) are written this way, so neither the document nor its text is ever built whole and
 * no request waits behind one. The text is the same as `JSON.stringify` of the whole document.
 */
export async function* jsonInPieces<Document extends object>(
  document: InPieces<Document>,
): AsyncIterable<string> {
  let separator = '{';
  for (const [field, value] of Object.entries(document)) {
    if (value === undefined) continue;
    const name = `${separator}${JSON.stringify(field)}:`;
    separator = ',';
    if (!(value instanceof PagedArray)) {
      yield name + JSON.stringify(value);
      continue;
    }
    let opening = `${name}[`;
    for await (const page of value.pages as AsyncIterable<readonly unknown[]>) {
      if (page.length === 0) continue;
      yield opening + page.map((item) => JSON.stringify(item) ?? 'null').join(',');
      opening = ',';
      await yieldToEventLoop();
    }
    yield opening === ',' ? ']' : `${opening}]`;
  }
  yield separator === '{' ? '{}' : '}';
}
