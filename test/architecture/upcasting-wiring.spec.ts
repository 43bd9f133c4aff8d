import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { EVENT_STORE, EventStore } from '../../src/ports/event-store.port';
import { isUpcasting } from '../../src/ports/upcasting-event-store';
import { LedgerTestApp } from '../support/ledger-app';

/**
 * Upcasting as an architecture rule: readers get events only through the EVENT_STORE binding, that binding is
 * the upcasting store, and only hash verification reaches past it to the events as written. A reader added
 * later cannot miss upcasting without breaking one of these.
 */
const ROOT = resolve(__dirname, '..', '..');

function sources(folder: string): string[] {
  return readdirSync(join(ROOT, folder)).flatMap((name) => {
    const path = join(folder, name);
    if (statSync(join(ROOT, path)).isDirectory()) return sources(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') ? [path] : [];
  });
}

const FILES = [...sources('src'), ...sources('projections')].map((path) => ({
  path: relative(ROOT, join(ROOT, path)),
  text: readFileSync(join(ROOT, path), 'utf8'),
}));
const filesMatching = (pattern: RegExp) =>
  FILES.filter(({ text }) => pattern.test(text)).map(({ path }) => path);

describe('upcasting wiring', () => {
  it('binds EVENT_STORE once, in the composition root, to the adapters wrapped in withUpcasting', () => {
    expect(filesMatching(/provide:\s*EVENT_STORE/)).toEqual(['src/modules/persistence.module.ts']);
    const module = FILES.find(({ path }) => path === 'src/modules/persistence.module.ts')!.text;
    const binding = module.slice(module.search(/provide:\s*EVENT_STORE/));
    expect(binding.slice(0, binding.indexOf('},'))).toMatch(
      /useFactory:\s*async\s*\(\)\s*=>\s*withUpcasting\(/,
    );
  });

  it('opens event-store adapters nowhere else: no reader can build a store of its own', () => {
    const opened = filesMatching(/\bcreate(Sqlite|Postgres|EventStoreDb)EventStore\(/).filter(
      (path) => !path.startsWith('src/adapters/'),
    );
    expect(opened).toEqual(['src/modules/persistence.module.ts']);
  });

  it('lets only hash verification read the events as written', () => {
    const unwrapping = filesMatching(/\bstoredEventsOf\(/).filter(
      (path) => path !== 'src/ports/upcasting-event-store.ts',
    );
    expect(unwrapping).toEqual(['src/application/gdpr/log-verification.ts']);
  });

  it('hands the running service an upcasting store', async () => {
    const ledger = await LedgerTestApp.start();
    try {
      expect(isUpcasting(ledger.app.get<EventStore>(EVENT_STORE))).toBe(true);
    } finally {
      await ledger.stop();
    }
  });
});
