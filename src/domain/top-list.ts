/**
 * The first `size` items in an order, kept while any number of items stream past: what it holds is the list's
 * size, not the number of items seen (a report's top customers among a million).
 */
export class TopList<T> {
  private readonly items: T[] = [];

  /** `compare` orders items as Array.prototype.sort does: negative when the first comes first. */
  constructor(
    private readonly size: number,
    private readonly compare: (a: T, b: T) => number,
  ) {}

  offer(item: T): void {
    const { items, size, compare } = this;
    if (items.length === size && (size === 0 || compare(item, items[size - 1]!) >= 0)) return;
    let low = 0;
    let high = items.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compare(items[middle]!, item) <= 0) low = middle + 1;
      else high = middle;
    }
    items.splice(low, 0, item);
    if (items.length > size) items.pop();
  }

  /** The items kept, in order. */
  list(): readonly T[] {
    return this.items;
  }
}
