import { parse as parseCsv } from 'csv-parse/sync';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { associationRules } from './association-rules';

/** UCI Online Retail (Chen, Sain & Guo 2012, CC BY 4.0): invoices of known customers, their stock codes. */
function uciBaskets(rows: number): string[][] {
  const file = join(__dirname, '../../../../shared/data/uci-online-retail/online_retail.csv.gz');
  const text = gunzipSync(readFileSync(file)).toString('utf8');
  const head = text.split('\n', rows + 1).join('\n');
  const invoices = new Map<string, Set<string>>();
  for (const row of parseCsv(head, { columns: true, bom: true }) as Record<string, string>[]) {
    if (!row.CustomerID || row.InvoiceNo!.startsWith('C') || Number(row.Quantity) <= 0) continue;
    invoices.set(row.InvoiceNo!, (invoices.get(row.InvoiceNo!) ?? new Set()).add(row.StockCode!));
  }
  return [...invoices.values()].map((items) => [...items]);
}

/** Independent count: every itemset of one to three of the frequent items, enumerated basket by basket. */
function bruteForceRules(baskets: string[][], minSupport: number, minConfidence: number, minLift: number) {
  const single = new Map<string, number>();
  for (const basket of baskets) for (const item of basket) single.set(item, (single.get(item) ?? 0) + 1);
  const minCount = Math.ceil(minSupport * baskets.length);
  const frequentItem = (item: string) => single.get(item)! >= minCount;
  const counts = new Map<string, number>();
  const add = (items: string[]) => {
    const key = [...items].sort().join('|');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  };
  for (const basket of baskets) {
    const items = basket.filter(frequentItem);
    for (let i = 0; i < items.length; i++) {
      add([items[i]!]);
      for (let j = i + 1; j < items.length; j++) {
        add([items[i]!, items[j]!]);
        for (let k = j + 1; k < items.length; k++) add([items[i]!, items[j]!, items[k]!]);
      }
    }
  }
  const rules: string[] = [];
  for (const [key, count] of counts) {
    const items = key.split('|');
    if (count < minCount || items.length < 2) continue;
    for (let mask = 1; mask < (1 << items.length) - 1; mask++) {
      const antecedent = items.filter((_, i) => mask & (1 << i));
      const consequent = items.filter((_, i) => !(mask & (1 << i)));
      const confidence = count / counts.get(antecedent.join('|'))!;
      const lift = confidence / (counts.get(consequent.join('|'))! / baskets.length);
      if (confidence >= minConfidence && lift >= minLift) {
        rules.push(
          `${antecedent.join('+')} => ${consequent.join('+')} ${count} ${confidence.toFixed(9)} ${lift.toFixed(9)}`,
        );
      }
    }
  }
  return rules.sort();
}

describe('association rules (FP-growth)', () => {
  it('finds the rules of a small example', () => {
    const baskets = [
      ['bread', 'milk'],
      ['bread', 'butter', 'milk'],
      ['butter', 'milk'],
      ['bread', 'butter'],
      ['jam'],
    ];
    const rules = associationRules(baskets, { minSupport: 0.4, minConfidence: 0.6, minLift: 0 });
    expect(
      rules.map((r) => `${r.antecedent} => ${r.consequent} ${r.baskets} ${r.confidence.toFixed(3)}`).sort(),
    ).toEqual([
      'bread => butter 2 0.667',
      'bread => milk 2 0.667',
      'butter => bread 2 0.667',
      'butter => milk 2 0.667',
      'milk => bread 2 0.667',
      'milk => butter 2 0.667',
    ]);
    expect(rules[0]!.lift).toBeCloseTo(2 / 3 / 0.6, 12);
  });

  it('agrees with a brute-force count on the first 20,000 lines of UCI Online Retail', () => {
    const baskets = uciBaskets(20_000);
    const thresholds = { minSupport: 0.03, minConfidence: 0.3, minLift: 1.5 };
    const rules = associationRules(baskets, thresholds);
    const expected = bruteForceRules(
      baskets,
      thresholds.minSupport,
      thresholds.minConfidence,
      thresholds.minLift,
    );

    expect(baskets.length).toBeGreaterThan(500);
    expect(expected.length).toBeGreaterThan(20);
    expect(expected.some((rule) => rule.split(' => ')[0]!.includes('+'))).toBe(true);
    expect(
      rules
        .map(
          (r) =>
            `${[...r.antecedent].sort().join('+')} => ${[...r.consequent].sort().join('+')} ${r.baskets} ${r.confidence.toFixed(9)} ${r.lift.toFixed(9)}`,
        )
        .sort(),
    ).toEqual(expected);
  });
});
