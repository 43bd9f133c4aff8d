import { v7 as uuidv7 } from 'uuid';
import { NewEvent } from '../../src/ports/event-store.port';

/** A stored-event builder with overridable defaults. */
export function aNewEvent(overrides: Partial<NewEvent> = {}): NewEvent {
  return {
    eventId: uuidv7(),
    type: 'ProductBrowsed',
    schemaVersion: 1,
    data: { productId: 'p-1', category: 'electronics.smartphone' },
    metadata: {
      occurredAt: '2026-11-01T10:00:00.000Z',
      recordedAt: '2026-11-01T10:00:01.000Z',
      actor: 'test',
    },
    ...overrides,
  };
}

export function someNewEvents(count: number, overrides: Partial<NewEvent> = {}): NewEvent[] {
  return Array.from({ length: count }, (_, index) =>
    aNewEvent({ data: { productId: `p-${index}` }, ...overrides }),
  );
}

export async function collect<T>(iterable: AsyncIterable<T>, count: number): Promise<T[]> {
  const items: T[] = [];
  if (count === 0) return items;
  for await (const item of iterable) {
    items.push(item);
    if (items.length >= count) break;
  }
  return items;
}
