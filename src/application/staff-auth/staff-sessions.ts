import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { LEDGER_CONFIG, LedgerConfig } from '../../config/ledger-config';
import { SessionTimeouts } from '../../config/staff-sign-in-config';
import { READ_STORE, ReadStore } from '../../ports/read-store.port';
import { Principal } from './principal';

export const SESSIONS_COLLECTION = 'staff-sessions';
const SESSIONS_INDEXES = [[['subject', 1] as const]];

/** A staff session as stored: keyed by the SHA-256 of its token, so the store never holds a usable token. */
export interface StaffSession {
  readonly id: string;
  readonly principal: Principal;
  /** The anti-forgery token the page sends back in `x-csrf-token` on every state-changing request. */
  readonly csrfToken: string;
  readonly startedAt: string;
  readonly lastSeenAt: string;
}

/** A session's public view: what an admin sees (never the token). */
export interface SessionView {
  readonly sessionId: string;
  readonly subject: string;
  readonly displayName: string;
  readonly startedAt: string;
  readonly lastSeenAt: string;
}

/** lastSeenAt is written at most this often, so that reads do not each cost a write. */
const TOUCH_EVERY_MS = 60_000;

const sessionIdOf = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Whether a session still holds at `now`: not idle longer than the idle timeout, not older than the absolute
 * one. Pure, so the rule is tested without waiting.
 */
export function sessionHolds(session: StaffSession, now: Date, timeouts: SessionTimeouts): boolean {
  const idleMs = now.getTime() - Date.parse(session.lastSeenAt);
  const ageMs = now.getTime() - Date.parse(session.startedAt);
  return idleMs <= timeouts.idleMinutes * 60_000 && ageMs <= timeouts.absoluteHours * 3_600_000;
}

/** Whether the token the page sent matches the session's, in constant time. */
export function csrfTokenMatches(session: StaffSession, presented: string | undefined): boolean {
  if (!presented) return false;
  const expected = Buffer.from(session.csrfToken);
  const given = Buffer.from(presented);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * Server-side staff sessions in the read store (ReadStore port), so they work on every backend and survive a
 * restart; a token is 32 random bytes, stored only as its hash. Signing out or an admin's "end sessions"
 * deletes them, and an expired one is deleted when next presented.
 */
@Injectable()
export class StaffSessions implements OnModuleInit {
  private readonly timeouts: SessionTimeouts;

  constructor(
    @Inject(READ_STORE) private readonly reads: ReadStore,
    @Inject(LEDGER_CONFIG) config: LedgerConfig,
  ) {
    this.timeouts = config.staffSignIn?.sessions ?? { idleMinutes: 30, absoluteHours: 12 };
  }

  async onModuleInit(): Promise<void> {
    await this.reads.ensureCollection(SESSIONS_COLLECTION, SESSIONS_INDEXES);
  }

  /** Starts a session for a person who just signed in; the token goes into the cookie and nowhere else. */
  async start(principal: Principal, now: Date): Promise<{ token: string; session: StaffSession }> {
    const token = randomBytes(32).toString('base64url');
    const session: StaffSession = {
      id: sessionIdOf(token),
      principal,
      csrfToken: randomBytes(32).toString('base64url'),
      startedAt: now.toISOString(),
      lastSeenAt: now.toISOString(),
    };
    await this.write(session.id, session);
    return { token, session };
  }

  /** The live session of a token, its last use moved to `now`; undefined when unknown, ended or expired. */
  async resume(token: string, now: Date): Promise<StaffSession | undefined> {
    const session = await this.reads.get<StaffSession>(SESSIONS_COLLECTION, sessionIdOf(token));
    if (!session) return undefined;
    if (!sessionHolds(session, now, this.timeouts)) {
      await this.write(session.id, null);
      return undefined;
    }
    if (now.getTime() - Date.parse(session.lastSeenAt) < TOUCH_EVERY_MS) return session;
    const touched = { ...session, lastSeenAt: now.toISOString() };
    await this.write(session.id, touched);
    return touched;
  }

  /** Signing out: the session of this token ends. */
  async end(token: string): Promise<void> {
    await this.write(sessionIdOf(token), null);
  }

  /** Every session of one person, oldest first. */
  async of(subject: string): Promise<SessionView[]> {
    const sessions = await this.reads.find<StaffSession>(SESSIONS_COLLECTION, {
      where: { subject },
      sort: [['subject', 1]],
    });
    return sessions
      .map(({ id, principal, startedAt, lastSeenAt }) => ({
        sessionId: id,
        subject: principal.subject,
        displayName: principal.displayName,
        startedAt,
        lastSeenAt,
      }))
      .sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  }

  /** An admin ends every session of one person at once; returns how many were ended. */
  async endAllOf(subject: string): Promise<number> {
    const sessions = await this.of(subject);
    if (sessions.length === 0) return 0;
    await this.reads.commit(
      [
        {
          collection: SESSIONS_COLLECTION,
          writes: sessions.map(({ sessionId }) => ({ id: sessionId, doc: null })),
        },
      ],
      {},
    );
    return sessions.length;
  }

  private async write(id: string, doc: StaffSession | null): Promise<void> {
    // `subject` at the top level, so the read store can index it.
    const stored = doc && { ...doc, subject: doc.principal.subject };
    await this.reads.commit([{ collection: SESSIONS_COLLECTION, writes: [{ id, doc: stored }] }], {});
  }
}
