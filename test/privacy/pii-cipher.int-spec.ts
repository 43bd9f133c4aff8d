import { randomBytes } from 'node:crypto';
import { ERASED_VALUE, isEncrypted, PiiCipher, SubjectErasedError } from '../../src/privacy/pii-cipher';
import { SubjectKeyStore, WrappedKey } from '../../src/ports/subject-key-store.port';
import { createSqliteSubjectKeyStore } from '../../src/adapters/sqlite/sqlite-subject-key-store';

describe('PiiCipher', () => {
  let keys: SubjectKeyStore;
  let cipher: PiiCipher;
  const masterKey = randomBytes(32);

  beforeEach(() => {
    keys = createSqliteSubjectKeyStore(':memory:');
    cipher = new PiiCipher(keys, masterKey);
  });
  afterEach(() => keys.close());

  it('encrypts only the named string fields and decrypts them back', async () => {
    const [stored] = await cipher.encryptFields([
      {
        subjectId: 'c-1',
        fields: ['name', 'email', 'phone'],
        data: { name: 'Ada', email: 'ada@example.org', country: 'GB' },
      },
    ]);

    expect(isEncrypted(stored!.name)).toBe(true);
    expect(isEncrypted(stored!.email)).toBe(true);
    expect(stored!.country).toBe('GB');
    expect(stored).not.toHaveProperty('phone');
    expect(JSON.stringify(stored)).not.toContain('Ada');
    expect(await cipher.decryptFields('c-1', ['name', 'email'], stored!)).toEqual({
      name: 'Ada',
      email: 'ada@example.org',
      country: 'GB',
    });
  });

  it('gives each encryption a fresh IV and binds ciphertext to its subject and field', async () => {
    const [first, second] = await cipher.encryptFields([
      { subjectId: 'c-1', fields: ['comment'], data: { comment: 'same text' } },
      { subjectId: 'c-1', fields: ['comment'], data: { comment: 'same text' } },
    ]);
    expect(first!.comment).not.toBe(second!.comment);
    await expect(
      cipher.decryptFields('c-1', ['resolution'], { resolution: first!.comment }),
    ).rejects.toThrow();
    await cipher.encryptFields([{ subjectId: 'c-2', fields: ['comment'], data: { comment: 'x' } }]);
    await expect(cipher.decryptFields('c-2', ['comment'], { comment: first!.comment })).rejects.toThrow();
  });

  it('keeps one data key per subject, stored wrapped, shared by a second cipher', async () => {
    const [stored] = await cipher.encryptFields([
      { subjectId: 'c-1', fields: ['name'], data: { name: 'Ada' } },
    ]);
    const found = await keys.find(['c-1']);
    const key = found.get('c-1') as WrappedKey;
    expect(key.wrapped.length).toBe(12 + 16 + 32);

    const other = new PiiCipher(keys, masterKey);
    expect(await other.decryptFields('c-1', ['name'], stored!)).toEqual({ name: 'Ada' });
    const wrongMaster = new PiiCipher(keys, randomBytes(32));
    await expect(wrongMaster.decryptFields('c-1', ['name'], stored!)).rejects.toThrow(/not configured/);
  });

  it('shows fields as erased when the key is gone and refuses new personal data for the subject', async () => {
    const [stored] = await cipher.encryptFields([
      { subjectId: 'c-1', fields: ['name'], data: { name: 'Ada' } },
    ]);
    expect(await keys.destroy('c-1')).toBe('destroyed');
    expect(await keys.destroy('c-1')).toBe('already-erased');
    const afterErasure = new PiiCipher(keys, masterKey);

    expect(await afterErasure.decryptFields('c-1', ['name'], stored!)).toEqual({ name: ERASED_VALUE });
    await expect(
      afterErasure.encryptFields([{ subjectId: 'c-1', fields: ['name'], data: { name: 'Ada' } }]),
    ).rejects.toThrow(SubjectErasedError);
  });

  it('keeps no data key when told not to, so an erasure elsewhere shows at the next read (a read worker)', async () => {
    const [stored] = await cipher.encryptFields([
      { subjectId: 'c-1', fields: ['name'], data: { name: 'Ada' } },
    ]);
    const keeping = new PiiCipher(keys, masterKey);
    const notKeeping = new PiiCipher(keys, masterKey, [], false);
    const reads = await Promise.all([1, 2, 3].map(() => notKeeping.decryptFields('c-1', ['name'], stored!)));
    expect(reads).toEqual([{ name: 'Ada' }, { name: 'Ada' }, { name: 'Ada' }]);
    expect(await keeping.decryptFields('c-1', ['name'], stored!)).toEqual({ name: 'Ada' });

    await keys.destroy('c-1');
    expect(await notKeeping.decryptFields('c-1', ['name'], stored!)).toEqual({ name: ERASED_VALUE });
    // A cipher that keeps keys still holds it until told to forget (as the erasure tells the main thread's).
    expect(await keeping.decryptFields('c-1', ['name'], stored!)).toEqual({ name: 'Ada' });
  });

  it('creates no key for records without personal data', async () => {
    await cipher.encryptFields([{ subjectId: 'c-9', fields: ['comment'], data: { score: 3 } }]);
    expect((await keys.find(['c-9'])).size).toBe(0);
  });

  it('rotates the master key by rewrapping data keys, without touching ciphertexts', async () => {
    const [stored] = await cipher.encryptFields([
      { subjectId: 'c-1', fields: ['name'], data: { name: 'Ada' } },
    ]);
    const newMaster = randomBytes(32);
    const during = new PiiCipher(keys, newMaster, [masterKey]);

    expect(await during.decryptFields('c-1', ['name'], stored!)).toEqual({ name: 'Ada' });
    expect(await during.rotateMasterKey()).toBe(1);
    expect(await during.rotateMasterKey()).toBe(0);
    const after = new PiiCipher(keys, newMaster);
    expect(await after.decryptFields('c-1', ['name'], stored!)).toEqual({ name: 'Ada' });
    await expect(new PiiCipher(keys, masterKey).decryptFields('c-1', ['name'], stored!)).rejects.toThrow(
      /not configured/,
    );
  });
});
