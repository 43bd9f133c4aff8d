import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { LedgerConfig } from '../../src/config/ledger-config';
import { EVENT_STORE, EventStore } from '../../src/ports/event-store.port';
import { isUpcasting } from '../../src/ports/upcasting-event-store';
import { configuredBackends } from '../../src/modules/persistence.module';
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

/** The composition root that chooses a backend for each port. */
const PERSISTENCE_MODULE = 'src/modules/persistence.module.ts';

/**
 * The adapters found by the port they implement: every function exported from src/adapters that returns an
 * EventStore (or a promise of one), whatever its name.
 */
const EVENT_STORE_OPENERS = FILES.filter(({ path }) => path.startsWith('src/adapters/')).flatMap(({ text }) =>
  [
    ...text.matchAll(/export (?:async )?function (\w+)\(([^()]|\([^()]*\))*\):\s*(?:Promise<)?EventStore\b/g),
  ].map((match) => match[1]!),
);

describe('upcasting wiring', () => {
  it('finds every event-store adapter the persistence module can open, by the port it implements', () => {
    const offered = configuredBackends({
      eventStoreUrl: 'esdb://localhost:2113',
      mongoUrl: 'mongodb://localhost/ledger',
      databaseUrl: 'postgres://localhost/ledger',
      dataDir: '/nowhere',
    } as LedgerConfig).filter((backend) => backend.openEventStore);
    expect(EVENT_STORE_OPENERS).toHaveLength(offered.length);
  });

  it('binds EVENT_STORE once, in the persistence module, to the adapters wrapped in withUpcasting', () => {
    expect(filesMatching(/provide:\s*EVENT_STORE/)).toEqual([PERSISTENCE_MODULE]);
    const module = FILES.find(({ path }) => path === PERSISTENCE_MODULE)!.text;
    const binding = module.slice(module.search(/provide:\s*EVENT_STORE/));
    expect(binding.slice(0, binding.indexOf('},'))).toMatch(
      /useFactory:\s*async\s*\(\)\s*=>\s*withUpcasting\(/,
    );
  });

  it('opens event-store adapters nowhere else: no reader can build a store of its own', () => {
    const opening = new RegExp(`\\b(${EVENT_STORE_OPENERS.join('|')})\\(`);
    const opened = filesMatching(opening).filter((path) => !path.startsWith('src/adapters/'));
    expect(opened).toEqual([PERSISTENCE_MODULE]);
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
