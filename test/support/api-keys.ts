import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiKey, Role } from '../../src/config/api-keys';

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** One API key per role, held by `<role><holderSuffix>`, as the service's configuration lists them. */
export function roleApiKeys<R extends Role>(
  roles: readonly R[],
  keyOf: (role: R) => string,
  holderSuffix = '-person',
): ApiKey[] {
  return roles.map((role) => ({
    principal: `${role}${holderSuffix}`,
    roles: [role],
    keySha256: sha256(keyOf(role)),
  }));
}

/** The keys as LEDGER_API_KEYS_FILE holds them, written into `directory`; answers the file's path. */
export function writeApiKeysFile(directory: string, keys: readonly ApiKey[]): string {
  const file = join(directory, 'api-keys.json');
  writeFileSync(file, JSON.stringify(keys));
  return file;
}
