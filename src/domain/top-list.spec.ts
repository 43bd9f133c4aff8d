import { seededRandom } from '../../test/fixtures/seeded-random';
import { TopList } from './top-list';

describe('TopList', () => {
  it.each([0, 1, 10, 100, 5000])('keeps the first %i of a stream in order, as a full sort would', (size) => {
    const next = seededRandom(size + 1);
    const items = Array.from({ length: 2000 }, (_, index) => ({
      id: `c-${index}`,
      score: Math.floor(next() * 101),
    }));
    const order = (a: (typeof items)[number], b: (typeof items)[number]) =>
      b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    const top = new TopList(size, order);
    for (const item of items) top.offer(item);
    expect(top.list()).toEqual([...items].sort(order).slice(0, size));
  });
});
