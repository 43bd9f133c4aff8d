import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_CATALOG } from '../../src/domain/customer-events';
import { PROCESSED_WITHOUT_CONSENT } from '../../src/domain/processing-purposes';

/** The record of processing in docs/gdpr.md is what the event catalog declares, row for row. */
describe('record of processing', () => {
  const documented = (() => {
    const text = readFileSync(join(__dirname, '..', '..', 'docs', 'gdpr.md'), 'utf8');
    const table = text.slice(text.indexOf('| event '), text.indexOf('\n\n', text.indexOf('| event ')));
    return table
      .split('\n')
      .slice(2)
      .flatMap((row) => {
        const [events, basis] = row
          .split('|')
          .slice(1, 3)
          .map((cell) => cell.trim());
        return [...events!.matchAll(/`(\w+)`/g)].map((match) => [match[1]!, basis!.replace(/ /g, '-')]);
      });
  })();

  it('lists every event type of the catalog once, with the basis the catalog gives it', () => {
    expect(Object.fromEntries(documented)).toEqual(
      Object.fromEntries(Object.entries(EVENT_CATALOG).map(([type, entry]) => [type, entry.basis])),
    );
    expect(documented).toHaveLength(Object.keys(EVENT_CATALOG).length);
  });

  it('derives what is processed without consent from the catalog', () => {
    expect(PROCESSED_WITHOUT_CONSENT.PurchaseCompleted).toEqual({
      basis: 'contract',
      why: 'performing the sale; bookkeeping',
    });
    expect(Object.keys(PROCESSED_WITHOUT_CONSENT).sort()).toEqual(Object.keys(EVENT_CATALOG).sort());
  });
});
