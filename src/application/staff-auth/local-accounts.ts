import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  hkdfSync,
  randomBytes,
  randomUUID,
  scrypt,
  timingSafeEqual,
} from 'node:crypto';
import { Role, ROLES } from '../../config/api-keys';
import { LEDGER_CONFIG, LedgerConfig } from '../../config/ledger-config';
import { READ_STORE, ReadStore } from '../../ports/read-store.port';
import { localSubject, Principal } from './principal';
import { base32Decode, base32Encode, matchingTotpStep, newTotpSecret, otpauthUri } from './totp';

export const ACCOUNTS_COLLECTION = 'staff-accounts';
const ACCOUNTS_INDEXES = [[['invitationHash', 1] as const]];

/** Consecutive failed sign-ins before an account is locked, and for how long. */
export const MAX_FAILED_SIGN_INS = 5;
export const LOCKOUT_MINUTES = 15;
const INVITATION_DAYS = 7;
const RECOVERY_CODES = 10;
/** scrypt at N=2^15, r=8: 32 MiB of memory per hash, about 0.1 s here; memory-hard against GPU guessing. */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

/** A local staff account as stored: only hashes of the password and recovery codes; the TOTP secret encrypted. */
interface LocalAccount {
  readonly username: string;
  readonly accountId: string;
  readonly displayName: string;
  readonly roles: readonly Role[];
  readonly status: 'invited' | 'enrolling' | 'active';
  readonly invitationHash?: string;
  readonly invitationExpiresAt?: string;
  readonly passwordHash?: string;
  readonly totpSecretSealed?: string;
  readonly lastTotpStep: number;
  readonly recoveryCodeHashes: readonly string[];
  readonly failedSignIns: number;
  readonly lockedUntil?: string;
}

/** A refused step of invitation, enrolment or sign-in, with the HTTP status and the field it is about. */
export class LocalAccountError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 423,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const normalizeRecoveryCode = (code: string) => code.replace(/[\s-]/g, '').toUpperCase();

function hashPassword(password: string, salt = randomBytes(16)): Promise<string> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, 32, SCRYPT, (error, key) =>
      error ? reject(error) : resolve(`scrypt$15$8$1$${salt.toString('base64')}$${key.toString('base64')}`),
    ),
  );
}

async function passwordMatches(password: string, stored: string): Promise<boolean> {
  const [, , , , salt = '', expected = ''] = stored.split('$');
  const actual = (await hashPassword(password, Buffer.from(salt, 'base64'))).split('$')[5]!;
  const a = Buffer.from(actual, 'base64');
  const b = Buffer.from(expected, 'base64');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Compared against when the user name is unknown, so that a wrong name takes as long as a wrong password. */
const DECOY_HASH = `scrypt$15$8$1$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(32).toString('base64')}`;

/**
 * Local staff accounts for a business without an identity provider: an admin invites (a link valid 7 days), the
 * person sets a password (scrypt) and a TOTP authenticator and gets recovery codes; signing in takes the
 * password and a code (or a recovery code, each once). Five failures in a row lock the account for 15 minutes.
 */
@Injectable()
export class LocalAccounts implements OnModuleInit {
  private readonly sealKey: Buffer;
  private readonly enabled: boolean;

  constructor(
    @Inject(READ_STORE) private readonly reads: ReadStore,
    @Inject(LEDGER_CONFIG) config: LedgerConfig,
  ) {
    this.enabled = config.staffSignIn?.localAccounts ?? false;
    this.sealKey = Buffer.from(
      hkdfSync('sha256', config.masterKey, Buffer.alloc(0), 'ledger staff totp', 32),
    );
  }

  async onModuleInit(): Promise<void> {
    if (this.enabled) await this.reads.ensureCollection(ACCOUNTS_COLLECTION, ACCOUNTS_INDEXES);
  }

  /** An admin invites a person: the token goes into the invitation link, only its hash is kept. */
  async invite(
    request: { readonly username?: unknown; readonly displayName?: unknown; readonly roles?: unknown },
    now: Date,
  ): Promise<{ username: string; token: string; expiresAt: string }> {
    this.checkEnabled();
    const username = typeof request.username === 'string' ? request.username.toLowerCase() : '';
    if (!/^[a-z0-9._@-]{2,64}$/.test(username)) {
      throw new LocalAccountError(400, 'username must be 2 to 64 letters, digits or ._@-', 'username');
    }
    const displayName = typeof request.displayName === 'string' ? request.displayName.trim() : '';
    if (displayName.length < 1 || displayName.length > 100) {
      throw new LocalAccountError(400, 'displayName must be 1 to 100 characters', 'displayName');
    }
    const roles = request.roles;
    if (!Array.isArray(roles) || roles.length === 0 || !roles.every((role) => ROLES.includes(role as Role))) {
      throw new LocalAccountError(400, `roles must be a non-empty list of ${ROLES.join(', ')}`, 'roles');
    }
    const existing = await this.get(username);
    if (existing?.status === 'active') {
      throw new LocalAccountError(409, `${username} already has an active account`, 'username');
    }
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + INVITATION_DAYS * 86_400_000).toISOString();
    await this.save({
      username,
      accountId: existing?.accountId ?? randomUUID(),
      displayName,
      roles: roles as Role[],
      status: 'invited',
      invitationHash: sha256(token),
      invitationExpiresAt: expiresAt,
      lastTotpStep: 0,
      recoveryCodeHashes: [],
      failedSignIns: 0,
    });
    return { username, token, expiresAt };
  }

  /** The invited person sets a password; they get the TOTP secret for their app and their recovery codes, once. */
  async enrol(
    token: unknown,
    password: unknown,
    now: Date,
  ): Promise<{ username: string; totpSecret: string; otpauthUri: string; recoveryCodes: string[] }> {
    const account = await this.invited(token, now);
    if (typeof password !== 'string' || password.length < 12 || password.length > 256) {
      throw new LocalAccountError(400, 'password must be 12 to 256 characters', 'password');
    }
    const totpSecret = newTotpSecret();
    const recoveryCodes = Array.from({ length: RECOVERY_CODES }, () =>
      base32Encode(randomBytes(5)).replace(/^(.{4})/, '$1-'),
    );
    await this.save({
      ...account,
      status: 'enrolling',
      passwordHash: await hashPassword(password),
      totpSecretSealed: this.seal(totpSecret),
      recoveryCodeHashes: recoveryCodes.map((code) => sha256(normalizeRecoveryCode(code))),
    });
    return {
      username: account.username,
      totpSecret,
      otpauthUri: otpauthUri('Customer ledger', account.username, totpSecret),
      recoveryCodes,
    };
  }

  /** The first code from the app proves it is set up; the account becomes active and the invitation is used up. */
  async confirm(token: unknown, code: unknown, now: Date): Promise<{ username: string }> {
    const account = await this.invited(token, now);
    if (account.status !== 'enrolling') throw new LocalAccountError(409, 'Set a password first', 'password');
    const step = matchingTotpStep(this.unseal(account.totpSecretSealed!), String(code ?? ''), now, 0);
    if (step === undefined) {
      throw new LocalAccountError(400, 'This code does not match: check the time on your device', 'code');
    }
    const { invitationHash: _used, invitationExpiresAt: _expiry, ...rest } = account;
    await this.save({ ...rest, status: 'active', lastTotpStep: step });
    return { username: account.username };
  }

  /** Password and a TOTP code (or an unused recovery code): the person, or a refusal that does not say which was wrong. */
  async signIn(username: unknown, password: unknown, code: unknown, now: Date): Promise<Principal> {
    this.checkEnabled();
    const account = typeof username === 'string' ? await this.get(username.toLowerCase()) : undefined;
    const given = typeof password === 'string' ? password : '';
    const passwordOk = await passwordMatches(given, account?.passwordHash ?? DECOY_HASH);
    if (!account || account.status !== 'active') throw this.wrong();
    if (account.lockedUntil && Date.parse(account.lockedUntil) > now.getTime()) {
      throw new LocalAccountError(
        423,
        `This account is locked after ${MAX_FAILED_SIGN_INS} failed sign-ins until ${account.lockedUntil}`,
      );
    }
    const presented = String(code ?? '').trim();
    const step = passwordOk
      ? matchingTotpStep(this.unseal(account.totpSecretSealed!), presented, now, account.lastTotpStep)
      : undefined;
    const recoveryHash = sha256(normalizeRecoveryCode(presented));
    const recovery = passwordOk && step === undefined && account.recoveryCodeHashes.includes(recoveryHash);
    if (step === undefined && !recovery) {
      const failedSignIns = account.failedSignIns + 1;
      const locked = failedSignIns >= MAX_FAILED_SIGN_INS;
      await this.save({
        ...account,
        failedSignIns: locked ? 0 : failedSignIns,
        ...(locked && { lockedUntil: new Date(now.getTime() + LOCKOUT_MINUTES * 60_000).toISOString() }),
      });
      throw this.wrong();
    }
    await this.save({
      ...account,
      failedSignIns: 0,
      lockedUntil: undefined,
      lastTotpStep: step ?? account.lastTotpStep,
      recoveryCodeHashes: account.recoveryCodeHashes.filter((hash) => !recovery || hash !== recoveryHash),
    });
    return {
      subject: localSubject(account.accountId),
      displayName: account.displayName,
      roles: account.roles,
      authentication: { method: 'local', secondFactor: recovery ? 'recovery-code' : 'totp' },
    };
  }

  private wrong(): LocalAccountError {
    return new LocalAccountError(401, 'Wrong user name, password or code');
  }

  private checkEnabled(): void {
    if (!this.enabled)
      throw new LocalAccountError(404, 'Local staff accounts are off (LEDGER_LOCAL_ACCOUNTS)');
  }

  private async invited(token: unknown, now: Date): Promise<LocalAccount> {
    this.checkEnabled();
    const hash = typeof token === 'string' ? sha256(token) : '';
    const [account] = await this.reads.find<LocalAccount>(ACCOUNTS_COLLECTION, {
      where: { invitationHash: hash },
      sort: [['invitationHash', 1]],
      limit: 1,
    });
    if (!account || account.status === 'active') {
      throw new LocalAccountError(404, 'This invitation is unknown or was already used', 'token');
    }
    if (Date.parse(account.invitationExpiresAt!) < now.getTime()) {
      throw new LocalAccountError(404, 'This invitation has expired: ask an admin for a new one', 'token');
    }
    return account;
  }

  private get(username: string): Promise<LocalAccount | undefined> {
    return this.reads.get<LocalAccount>(ACCOUNTS_COLLECTION, username);
  }

  private async save(account: LocalAccount): Promise<void> {
    await this.reads.commit(
      [{ collection: ACCOUNTS_COLLECTION, writes: [{ id: account.username, doc: account }] }],
      {},
    );
  }

  /** The TOTP secret encrypted under a key derived from the master key (AES-256-GCM). */
  private seal(secret: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.sealKey, iv);
    const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64');
  }

  private unseal(sealed: string): Buffer {
    const bytes = Buffer.from(sealed, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.sealKey, bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(12, 28));
    const secret = Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
    return base32Decode(secret);
  }
}
