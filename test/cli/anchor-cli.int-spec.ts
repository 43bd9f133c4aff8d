import { createPublicKey } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  FSWatcher,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  watch,
  writeFileSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAnchorFile } from '../../src/interfaces/cli/anchor-files';
import { anchorSignatureProblem, parseAnchor } from '../../src/application/gdpr/anchor';
import { verifyLog, verifyLogAgainstAnchor } from '../../src/application/gdpr/log-verification';
import { createSqliteEventStore } from '../../src/adapters/sqlite/sqlite-event-store';
import { aNewEvent, someNewEvents } from '../support/events';
import { runLedgerCli } from '../support/ledger-cli';

/**
 * `ledger anchor-key`, `ledger anchor` and `ledger verify --against` as child processes on real data
 * directories, with the signing key outside them.
 */
describe('ledger anchors', () => {
  const directory = mkdtempSync(join(tmpdir(), 'ledger-anchor-cli-'));
  const keys = join(directory, 'keys');
  const anchors = join(directory, 'anchors');
  mkdirSync(keys);
  mkdirSync(anchors);
  const signingKey = join(keys, 'anchor.pem');
  const masterKey = randomBytes(32).toString('base64');
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  const environment = (dataDir: string) => ({
    DATA_DIR: dataDir,
    LEDGER_MASTER_KEY: masterKey,
    LEDGER_ANCHOR_KEY_FILE: signingKey,
  });

  /** Appends to the data directory's events.db through the store, as the service would. */
  async function append(dataDir: string, streams: Record<string, number>): Promise<void> {
    const store = createSqliteEventStore({ file: join(dataDir, 'events.db') });
    for (const [streamId, count] of Object.entries(streams)) {
      await store.append([{ streamId, expectedRevision: 'any', events: someNewEvents(count) }]);
    }
    await store.close();
  }

  beforeAll(async () => {
    const made = await runLedgerCli({ DATA_DIR: join(directory, 'unused') }, [
      'anchor-key',
      '--out',
      signingKey,
    ]);
    expect(made.code).toBe(0);
  });

  it('makes a key pair outside DATA_DIR, and refuses a key inside it', async () => {
    const dataDir = join(directory, 'refusals');
    const inside = await runLedgerCli(environment(dataDir), [
      'anchor-key',
      '--out',
      join(dataDir, 'anchor.pem'),
    ]);
    const again = await runLedgerCli(environment(dataDir), ['anchor-key', '--out', signingKey]);
    const configured = await runLedgerCli(
      { ...environment(dataDir), LEDGER_ANCHOR_KEY_FILE: join(dataDir, 'keys', 'anchor.pem') },
      ['anchor', '--out', join(anchors, 'never.json')],
    );

    expect(statSync(signingKey).mode & 0o777).toBe(0o600);
    expect(createPublicKey(readFileSync(`${signingKey}.pub`)).asymmetricKeyType).toBe('ed25519');
    expect(inside.code).toBe(1);
    expect(inside.stderr).toContain(`${join(dataDir, 'anchor.pem')} is inside DATA_DIR`);
    expect(existsSync(join(dataDir, 'anchor.pem'))).toBe(false);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exist: not replaced');
    expect(configured.code).toBe(2);
    expect(configured.stderr).toContain('LEDGER_ANCHOR_KEY_FILE');
    expect(configured.stderr).toContain('is inside DATA_DIR');
    expect(existsSync(join(anchors, 'never.json'))).toBe(false);
  });

  it('anchors a store, verifies it with events appended since, and refuses another key or an altered anchor', async () => {
    const dataDir = join(directory, 'anchored');
    await append(dataDir, { 'customer-a': 3, 'customer-b': 2 });
    const anchorFile = join(anchors, 'anchored.json');

    const anchored = await runLedgerCli(environment(dataDir), ['anchor', '--out', anchorFile]);
    await append(dataDir, { 'customer-a': 1, 'customer-c': 2 });
    const verified = await runLedgerCli(environment(dataDir), ['verify', '--against', anchorFile]);
    const otherKey = join(keys, 'other.pem');
    await runLedgerCli({ DATA_DIR: dataDir }, ['anchor-key', '--out', otherKey]);
    const otherSigner = await runLedgerCli(environment(dataDir), [
      'verify',
      '--against',
      anchorFile,
      '--public-key',
      `${otherKey}.pub`,
    ]);
    const alteredFile = join(anchors, 'altered.json');
    writeFileSync(alteredFile, readFileSync(anchorFile, 'utf8').replace('"position":5', '"position":4'));
    const altered = await runLedgerCli(environment(dataDir), [
      'verify',
      '--against',
      alteredFile,
      '--public-key',
      `${signingKey}.pub`,
    ]);

    expect(anchored.code).toBe(0);
    expect(JSON.parse(anchored.stdout)).toMatchObject({
      anchor: anchorFile,
      position: 5,
      events: 5,
      streams: 2,
    });
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({
      ok: true,
      streams: 3,
      events: 8,
      anchor: { position: 5, events: 5, streams: 2 },
    });
    expect(otherSigner.code).toBe(1);
    expect(JSON.parse(otherSigner.stdout).firstBreak.reason).toMatch(
      /^the anchor was signed by key [0-9a-f]{64}, not by the given public key [0-9a-f]{64}$/,
    );
    expect(altered.code).toBe(1);
    expect(JSON.parse(altered.stdout).firstBreak.reason).toBe(
      "the anchor's signature does not verify: the anchor was altered after it was signed",
    );
  });

  it('catches an older copy of the database restored over appends an anchor covers', async () => {
    const dataDir = join(directory, 'restored');
    await append(dataDir, { 'customer-a': 2, 'customer-b': 2 });
    const olderCopy = join(directory, 'events-older.db');
    copyFileSync(join(dataDir, 'events.db'), olderCopy);
    await append(dataDir, { 'customer-b': 1, 'customer-c': 1 });
    const anchorFile = join(anchors, 'restored.json');
    expect((await runLedgerCli(environment(dataDir), ['anchor', '--out', anchorFile])).code).toBe(0);

    // As an operator restores a backup: the file alone, no write-ahead log of the newer one beside it.
    for (const suffix of ['-wal', '-shm']) rmSync(join(dataDir, `events.db${suffix}`), { force: true });
    copyFileSync(olderCopy, join(dataDir, 'events.db'));
    const plain = await runLedgerCli(environment(dataDir), ['verify']);
    const against = await runLedgerCli(environment(dataDir), ['verify', '--against', anchorFile]);

    // The older copy is consistent in itself: only the anchor knows what it lost.
    expect(JSON.parse(plain.stdout)).toEqual({ ok: true, streams: 2, events: 4 });
    expect(against.code).toBe(1);
    expect(JSON.parse(against.stdout).firstBreak).toEqual({
      streamId: 'customer-b',
      streamRevision: 2,
      reason:
        "the anchor holds the stream up to revision 2 (position 5); up to the anchor's position the log holds it up to revision 1: events were removed, or an older copy of the store was restored",
    });
  });

  it('leaves no anchor or a complete one when killed with SIGKILL while writing it, and the store still verifies', async () => {
    const dataDir = join(directory, 'large');
    const eventsFile = join(dataDir, 'events.db');
    const seeding = createSqliteEventStore({ file: eventsFile });
    // One event per stream: the anchor lists every stream head, about 12 MB for 120,000 streams.
    for (let batch = 0; batch < 120; batch++) {
      await seeding.append(
        Array.from({ length: 1000 }, (_, index) => ({
          streamId: `customer-large-${batch}-${index}`,
          expectedRevision: 'no_stream' as const,
          events: [aNewEvent()],
        })),
      );
    }
    await seeding.close();
    const anchorFile = join(anchors, 'large.json');
    const killedWhileWriting = join(anchors, 'killed');
    mkdirSync(killedWhileWriting);
    const target = join(killedWhileWriting, 'large.json');

    // Killed once the temporary file holds a megabyte: in the middle of writing about twelve.
    let watcher: FSWatcher | undefined;
    let sizePoll: NodeJS.Timeout | undefined;
    const killed = await runLedgerCli(environment(dataDir), ['anchor', '--out', target], (child) => {
      watcher = watch(killedWhileWriting, (_, name) => {
        if (!name?.endsWith('.tmp') || sizePoll) return;
        sizePoll = setInterval(() => {
          const written = statSync(join(killedWhileWriting, name), { throwIfNoEntry: false })?.size ?? 0;
          if (written > 1 << 20) child.kill('SIGKILL');
        }, 1);
      });
    });
    watcher?.close();
    clearInterval(sizePoll);

    expect(killed.signal).toBe('SIGKILL');
    const left = readdirSync(killedWhileWriting);
    // Were the writing quicker than the poll, the rename would have made a complete anchor: valid, then.
    if (left.includes('large.json')) {
      expect(
        anchorSignatureProblem(readAnchorFile(target), createPublicKey(readFileSync(signingKey))),
      ).toBeUndefined();
    } else {
      const [partial] = left;
      expect(partial).toMatch(/^\.large\.json\.\d+\.[0-9a-f]{8}\.tmp$/);
      expect(() => parseAnchor(readFileSync(join(killedWhileWriting, partial!), 'utf8'))).toThrow(
        /not a ledger anchor/,
      );
    }
    const store = createSqliteEventStore({ file: eventsFile });
    const verified = await verifyLog(store);
    const completed = await runLedgerCli(environment(dataDir), ['anchor', '--out', anchorFile]);
    const againstCompleted = await verifyLogAgainstAnchor(
      store,
      readAnchorFile(anchorFile),
      createPublicKey(readFileSync(`${signingKey}.pub`)),
    );
    await store.close();

    expect(verified).toEqual({ ok: true, streams: 120_000, events: 120_000 });
    expect(completed.code).toBe(0);
    expect(againstCompleted).toMatchObject({ ok: true, anchor: { position: 120_000, streams: 120_000 } });
  });
});
