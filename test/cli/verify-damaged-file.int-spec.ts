import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteEventStore } from '../../src/adapters/sqlite/sqlite-event-store';
import { appendHistory } from '../support/customer-history';

const ROOT = join(__dirname, '..', '..');

/** `ledger verify` on a data directory: exit code and everything it printed. */
function verify(dataDir: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', 'src/cli.ts', 'verify'],
      {
        cwd: ROOT,
        env: { ...process.env, DATA_DIR: dataDir, LEDGER_MASTER_KEY: randomBytes(32).toString('base64') },
      },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, output: stdout + stderr }),
    );
  });
}

/** Overwrites bytes of the file in place, as a failing disk or a stray write would. */
function damage(file: string, offset: number): void {
  const descriptor = openSync(file, 'r+');
  writeSync(descriptor, Buffer.alloc(8, 0xff), 0, 8, offset);
  closeSync(descriptor);
}

describe('ledger verify on a damaged event store file', () => {
  const directory = mkdtempSync(join(tmpdir(), 'ledger-damaged-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  async function aStore(name: string): Promise<string> {
    const dataDir = join(directory, name);
    const store = createSqliteEventStore({ file: join(dataDir, 'events.db') });
    await appendHistory(store, 3, 200);
    await store.close();
    return dataDir;
  }

  it('says why it failed when the file header is damaged', async () => {
    const dataDir = await aStore('header');
    damage(join(dataDir, 'events.db'), 0);

    const run = await verify(dataDir);

    expect(run.code).toBe(1);
    expect(run.output).toContain(`cannot open ${join(dataDir, 'events.db')}: file is not a database`);
  });

  it('says why it failed when the header of the events table page is damaged', async () => {
    const dataDir = await aStore('page');
    const file = join(dataDir, 'events.db');
    const raw = new Database(file, { readonly: true });
    const { rootpage } = raw.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'events'").get() as {
      rootpage: number;
    };
    const pageSize = raw.pragma('page_size', { simple: true }) as number;
    raw.close();
    damage(file, pageSize * (rootpage - 1));

    const run = await verify(dataDir);

    expect(run.code).toBe(1);
    expect(run.output).toMatch(/database disk image is malformed/);
  });
});
