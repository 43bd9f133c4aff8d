import { assignedPartitions, leaseChanges, partitionOf, partitionOfStream } from './partitions';

describe('projection partitions', () => {
  describe('partitionOf', () => {
    it('is the first 28 bits of the MD5 of the customer id, modulo the partitions', () => {
      // md5('c-1') = '298a664f...': 0x298a664 = 43558500
      expect(partitionOf('c-1', 8)).toBe(43_558_500 % 8);
      expect(partitionOf('c-1', 1)).toBe(0);
    });

    it('is stable and spreads customers about evenly', () => {
      const counts = new Array<number>(8).fill(0);
      for (let index = 0; index < 8000; index++) counts[partitionOf(`customer ${index}`, 8)]!++;
      expect(partitionOf('customer 42', 8)).toBe(partitionOf('customer 42', 8));
      for (const count of counts) expect(Math.abs(count - 1000)).toBeLessThan(150);
    });

    it("puts customer streams in their customer's partition and no other stream in any", () => {
      expect(partitionOfStream('customer-c-1', 8)).toBe(partitionOf('c-1', 8));
      expect(partitionOfStream('access-log-2026-12', 8)).toBeUndefined();
    });
  });

  describe('assignedPartitions', () => {
    const shares = (members: string[], partitions: number) =>
      members.map((member) => assignedPartitions(member, members, partitions));

    it('gives every partition to exactly one member, a fair share each', () => {
      for (const members of [['a'], ['a', 'b'], ['c', 'a', 'b'], ['a', 'b', 'c', 'd', 'e']]) {
        const all = shares(members, 8);
        expect(all.flat().sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
        const sizes = all.map((share) => share.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }
    });

    it('is the same whatever order each member reads the members in', () => {
      expect(assignedPartitions('b', ['c', 'a', 'b'], 8)).toEqual(
        assignedPartitions('b', ['a', 'b', 'c'], 8),
      );
      expect(assignedPartitions('b', ['a', 'b'], 4)).toEqual([1, 3]);
    });

    it('counts the asking member even before its heartbeat is seen', () => {
      expect(assignedPartitions('b', ['a'], 4)).toEqual([1, 3]);
    });

    it('leaves a member nothing when there are more members than partitions', () => {
      expect(assignedPartitions('c', ['a', 'b', 'c'], 2)).toEqual([]);
    });

    it("moves a dead member's partitions to those that remain", () => {
      expect(shares(['a', 'b', 'c'], 6)).toEqual([
        [0, 3],
        [1, 4],
        [2, 5],
      ]);
      expect(shares(['a', 'c'], 6)).toEqual([
        [0, 2, 4],
        [1, 3, 5],
      ]);
    });
  });

  describe('leaseChanges', () => {
    it('renews the partitions still assigned, gives up the others and takes the new ones', () => {
      expect(leaseChanges([0, 1, 2, 3], [0, 2, 4])).toEqual({ renew: [0, 2], release: [1, 3], acquire: [4] });
    });

    it('does nothing but renew when the share is unchanged', () => {
      expect(leaseChanges([1, 3], [1, 3])).toEqual({ renew: [1, 3], release: [], acquire: [] });
    });
  });
});
