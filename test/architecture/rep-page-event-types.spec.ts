import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_CATALOG } from '../../src/domain/customer-events';

/**
 * The rep page (plain JavaScript, no build step) keeps its own table of how each event type shows on a timeline:
 * a label and a filter group. An event type missing there would show under its raw name among account events, so
 * the table must name every type of the catalog, and nothing else.
 */
const RENDER_JS = join(__dirname, '..', '..', 'src', 'interfaces', 'web', 'public', 'render.js');

function repPageEventTypes(): string[] {
  const text = readFileSync(RENDER_JS, 'utf8');
  const start = text.indexOf('export const EVENT_TYPES = {');
  const table = text.slice(start, text.indexOf('\n};', start));
  return [...table.matchAll(/^ {2}(\w+): \{ label: '[^']+', group: '\w+' \},$/gm)].map((match) => match[1]!);
}

describe('the rep page', () => {
  it('labels every event type of the catalog, and only those', () => {
    expect(repPageEventTypes().sort()).toEqual(Object.keys(EVENT_CATALOG).sort());
  });
});
