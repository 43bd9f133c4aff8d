/**
 * Association rules between products from purchase baskets, by FP-growth (Han, Pei & Yin 2000): the baskets
 * are compressed into a prefix tree of their frequent items, and the frequent itemsets are grown from the tree
 * without generating candidates. Our own code: the one FP-growth package on npm (`node-fpgrowth`) is little
 * used and its releases are out of order; the algorithm is short.
 */
export interface RuleThresholds {
  /** Smallest share of baskets holding the whole rule (antecedent and consequent), 0..1. */
  readonly minSupport: number;
  /** Smallest share of the baskets holding the antecedent that also hold the consequent. */
  readonly minConfidence: number;
  /** Smallest lift: confidence over the consequent's own support (1 = no association). */
  readonly minLift: number;
  /** Largest itemset considered (antecedent and consequent together); 3 unless told. */
  readonly maxItems?: number;
}

export interface AssociationRule {
  readonly antecedent: readonly string[];
  readonly consequent: readonly string[];
  readonly baskets: number;
  readonly support: number;
  readonly confidence: number;
  readonly lift: number;
}

interface TreeNode {
  readonly item: string | undefined;
  count: number;
  readonly parent: TreeNode | undefined;
  readonly children: Map<string, TreeNode>;
}

/** Every itemset held by at least `minCount` baskets, as sorted item lists joined by "\u0000", with its count. */
export function frequentItemsets(
  baskets: Iterable<readonly string[]>,
  minCount: number,
  maxItems: number,
): Map<string, number> {
  const weighted = [...baskets].map((basket) => ({ items: [...new Set(basket)], count: 1 }));
  const found = new Map<string, number>();
  grow(weighted, [], minCount, maxItems, found);
  return found;
}

/** FP-growth on a conditional database (weighted baskets) given the suffix already chosen. */
function grow(
  database: readonly { items: readonly string[]; count: number }[],
  suffix: readonly string[],
  minCount: number,
  maxItems: number,
  found: Map<string, number>,
): void {
  const counts = new Map<string, number>();
  for (const { items, count } of database) {
    for (const item of items) counts.set(item, (counts.get(item) ?? 0) + count);
  }
  const frequent = [...counts].filter(([, count]) => count >= minCount);
  // Most frequent first (ties by name), so shared prefixes make the tree small.
  frequent.sort(([a, ca], [b, cb]) => cb - ca || (a < b ? -1 : 1));
  const rank = new Map(frequent.map(([item], i) => [item, i]));
  const root: TreeNode = { item: undefined, count: 0, parent: undefined, children: new Map() };
  const nodesOf = new Map<string, TreeNode[]>();
  for (const { items, count } of database) {
    const path = items.filter((item) => rank.has(item)).sort((a, b) => rank.get(a)! - rank.get(b)!);
    let node = root;
    for (const item of path) {
      let child = node.children.get(item);
      if (!child) {
        child = { item, count: 0, parent: node, children: new Map() };
        node.children.set(item, child);
        const siblings = nodesOf.get(item);
        if (siblings) siblings.push(child);
        else nodesOf.set(item, [child]);
      }
      child.count += count;
      node = child;
    }
  }
  // From the least frequent item up: each item with the suffix is frequent; its prefix paths are its database.
  for (let i = frequent.length - 1; i >= 0; i--) {
    const [item, count] = frequent[i]!;
    const itemset = [item, ...suffix];
    found.set([...itemset].sort().join('\u0000'), count);
    if (itemset.length >= maxItems) continue;
    const conditional: { items: string[]; count: number }[] = [];
    for (const node of nodesOf.get(item) ?? []) {
      const prefix: string[] = [];
      for (let up = node.parent; up?.item !== undefined; up = up.parent) prefix.push(up.item);
      if (prefix.length > 0) conditional.push({ items: prefix, count: node.count });
    }
    if (conditional.length > 0) grow(conditional, itemset, minCount, maxItems, found);
  }
}

/** The rules of every frequent itemset of two or more items that pass the thresholds, by lift then confidence. */
export function associationRules(
  baskets: readonly (readonly string[])[],
  { minSupport, minConfidence, minLift, maxItems = 3 }: RuleThresholds,
): AssociationRule[] {
  const total = baskets.length;
  if (total === 0) return [];
  const itemsets = frequentItemsets(baskets, Math.max(1, Math.ceil(minSupport * total - 1e-9)), maxItems);
  const countOf = (items: readonly string[]) => itemsets.get([...items].sort().join('\u0000'))!;
  const rules: AssociationRule[] = [];
  for (const [key, count] of itemsets) {
    const items = key.split('\u0000');
    if (items.length < 2) continue;
    // Every non-empty proper subset as antecedent (bit masks over at most maxItems items).
    for (let mask = 1; mask < (1 << items.length) - 1; mask++) {
      const antecedent = items.filter((_, i) => mask & (1 << i));
      const consequent = items.filter((_, i) => !(mask & (1 << i)));
      const confidence = count / countOf(antecedent);
      const lift = confidence / (countOf(consequent) / total);
      if (confidence >= minConfidence && lift >= minLift) {
        rules.push({ antecedent, consequent, baskets: count, support: count / total, confidence, lift });
      }
    }
  }
  return rules.sort((a, b) => b.lift - a.lift || b.confidence - a.confidence || b.baskets - a.baskets);
}
