import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SubjectKey, WrappedKey } from '../../ports/subject-key-store.port';
import { createSqliteSubjectKeyStore } from './sqlite-subject-key-store';

const key = (n: number): WrappedKey => ({ masterKeyId: `m${n}`, wrapped: Buffer.from([n, n, n]) });

describe('SQLite subject key store: getOrCreate', () => {
  it('answers every subject with the key stored for it: an existing one kept, a missing one created once', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ledger-keys-')), 'keys.db');
    const first = createSqliteSubjectKeyStore(file);
    const second = createSqliteSubjectKeyStore(file);
    const created: string[] = [];

    expect(await first.getOrCreate(['s1'], () => key(1))).toEqual(new Map([['s1', key(1)]]));
    const answer = await second.getOrCreate(['s1', 's2', 's2'], (subjectId) => {
      created.push(subjectId);
      return key(2);
    });

    expect(answer).toEqual(
      new Map([
        ['s1', key(1)],
        ['s2', key(2)],
      ]),
    );
    expect(created).toEqual(['s2']);
    expect(await first.find(['s1', 's2', 's3'])).toEqual(answer);
    await first.close();
    await second.close();
  });

  it('creates no key for an erased subject: it stays erased', async () => {
    const store = createSqliteSubjectKeyStore(join(mkdtempSync(join(tmpdir(), 'ledger-keys-')), 'keys.db'));
    await store.getOrCreate(['s1'], () => key(1));
    await store.destroy('s1');
    await store.destroy('never-keyed');

    expect(await store.getOrCreate(['s1', 'never-keyed', 's3'], () => key(3))).toEqual(
      new Map<string, SubjectKey>([
        ['s1', 'erased'],
        ['never-keyed', 'erased'],
        ['s3', key(3)],
      ]),
    );
    await store.close();
  });
});
