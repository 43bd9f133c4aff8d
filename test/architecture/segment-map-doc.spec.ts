import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RFM_SEGMENT_MAP, RFM_SEGMENT_MEANINGS, RFM_SEGMENTS } from '../../projections/rfm-scoring';

/** The segment table analysts read (docs/segments.md) is the one the code applies (RFM_SEGMENT_MAP). */
describe('the RFM segment table in docs/segments.md', () => {
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'segments.md'), 'utf8');

  it('names the same segment in every cell as RFM_SEGMENT_MAP', () => {
    const table = /<!-- segment-map:start -->([\s\S]*?)<!-- segment-map:end -->/.exec(doc)?.[1] ?? '';
    const rows = table
      .split('\n')
      .filter((line) => /^\|\s*[1-5]\s*\|/.test(line))
      .map((line) =>
        line
          .split('|')
          .slice(1, -1)
          .map((cell) => cell.trim()),
      );
    expect(rows.map(([recency, ...cells]) => [Number(recency), cells])).toEqual(
      ([5, 4, 3, 2, 1] as const).map((recency) => [recency, [...RFM_SEGMENT_MAP[recency]]]),
    );
  });

  it('explains every segment with the meaning the dashboard shows', () => {
    for (const segment of RFM_SEGMENTS) {
      expect(doc).toContain(`| \`${segment}\``);
      expect(doc).toContain(RFM_SEGMENT_MEANINGS[segment]);
    }
  });
});
