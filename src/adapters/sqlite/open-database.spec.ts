import { chmodSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from './open-database';

const modeOf = (file: string) => statSync(file).mode & 0o777;

describe('openDatabase', () => {
  it('creates the file and its WAL companions readable by the owner only', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ledger-db-')), 'nested', 'events.db');
    const db = openDatabase(file, { durable: true });
    db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');

    expect([modeOf(file), modeOf(`${file}-wal`), modeOf(`${file}-shm`)]).toEqual([0o600, 0o600, 0o600]);
    db.close();
  });

  it('narrows a file an earlier version left readable by others', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ledger-db-')), 'reads.db');
    openDatabase(file, { durable: false }).close();
    chmodSync(file, 0o644);

    openDatabase(file, { durable: false }).close();

    expect(modeOf(file)).toBe(0o600);
  });

  it('names the file it cannot open', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ledger-db-')), 'keys.db');
    writeFileSync(file, 'not a database, just text long enough to hold a header'.repeat(10));

    expect(() => openDatabase(file, { durable: true })).toThrow(
      `cannot open ${file}: file is not a database`,
    );
  });
});
