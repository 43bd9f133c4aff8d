import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import type * as OpenIdClient from 'openid-client';
import { LEDGER_CONFIG, LedgerConfig } from '../../config/ledger-config';
import { OidcSettings } from '../../config/staff-sign-in-config';
import { READ_STORE, ReadStore } from '../../ports/read-store.port';
import { principalFromClaims, SignInRefusal } from './oidc-claims';
import { Principal } from './principal';

export const SIGN_IN_ATTEMPTS_COLLECTION = 'staff-sign-in-attempts';

/** How long a person may take at the identity provider before the attempt is forgotten. */
const ATTEMPT_TTL_MS = 10 * 60_000;

/** What the ledger remembers between sending a browser to the provider and its return: never leaves the server. */
interface SignInAttempt {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  readonly startedAt: string;
}

/** The provider's answer could not be trusted (state, signature, issuer, audience, expiry, nonce) or was an error. */
export class SignInFailed extends Error {}

/** The token is genuine, but its holder may not sign in (no role, or no second factor). */
export class SignInRefused extends Error {
  constructor(readonly refusal: SignInRefusal) {
    super(refusal.message);
  }
}

const attemptIdOf = (handle: string) => createHash('sha256').update(handle).digest('hex');

/**
 * The OpenID Connect authorization code flow with PKCE, through `openid-client` (which verifies the ID token:
 * issuer, audience, expiry and nonce, and with non-repudiation checks on, its signature against the provider's
 * published keys; and checks the state). The
 * attempt's state, nonce and code verifier stay in the read store under a random handle the browser holds
 * in a short-lived cookie.
 */
@Injectable()
export class OidcSignIn implements OnModuleInit {
  private readonly settings?: OidcSettings;
  private discovered?: Promise<{ client: typeof OpenIdClient; configuration: OpenIdClient.Configuration }>;

  constructor(
    @Inject(READ_STORE) private readonly reads: ReadStore,
    @Inject(LEDGER_CONFIG) config: LedgerConfig,
  ) {
    this.settings = config.staffSignIn?.oidc;
  }

  get enabled(): boolean {
    return this.settings !== undefined;
  }

  async onModuleInit(): Promise<void> {
    if (this.enabled) await this.reads.ensureCollection(SIGN_IN_ATTEMPTS_COLLECTION, []);
  }

  /** Starts an attempt: the provider's URL to send the browser to, and the handle for the attempt cookie. */
  async begin(now: Date): Promise<{ url: string; handle: string }> {
    const settings = this.settingsOrFail();
    const { client, configuration } = await this.discover();
    const attempt: SignInAttempt = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      codeVerifier: client.randomPKCECodeVerifier(),
      startedAt: now.toISOString(),
    };
    const handle = randomBytes(32).toString('base64url');
    await this.save(attemptIdOf(handle), attempt);
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: settings.redirectUrl,
      scope: settings.scopes,
      state: attempt.state,
      nonce: attempt.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(attempt.codeVerifier),
      code_challenge_method: 'S256',
    });
    return { url: url.href, handle };
  }

  /**
   * Completes the attempt the handle names with the URL the provider sent the browser back to. The attempt is
   * used up either way, so a callback cannot be replayed.
   */
  async complete(handle: string | undefined, callbackUrl: string, now: Date): Promise<Principal> {
    const settings = this.settingsOrFail();
    if (!handle)
      throw new SignInFailed('No sign-in was started in this browser (or it took longer than 10 minutes)');
    const id = attemptIdOf(handle);
    const attempt = await this.reads.get<SignInAttempt>(SIGN_IN_ATTEMPTS_COLLECTION, id);
    if (!attempt) throw new SignInFailed('This sign-in is unknown or was already used: start again');
    await this.save(id, null);
    if (now.getTime() - Date.parse(attempt.startedAt) > ATTEMPT_TTL_MS) {
      throw new SignInFailed('This sign-in took longer than 10 minutes: start again');
    }
    const { client, configuration } = await this.discover();
    let claims: Record<string, unknown> | undefined;
    try {
      const tokens = await client.authorizationCodeGrant(configuration, new URL(callbackUrl), {
        pkceCodeVerifier: attempt.codeVerifier,
        expectedState: attempt.state,
        expectedNonce: attempt.nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims();
    } catch (error) {
      // The library's message is general ("invalid response encountered"); its cause says what failed.
      const reasons = [error, (error as Error).cause].filter((each): each is Error => each instanceof Error);
      throw new SignInFailed(
        `The identity provider's answer was not accepted: ${reasons.map((each) => each.message).join(': ')}`,
      );
    }
    if (!claims) throw new SignInFailed('The identity provider sent no ID token');
    const outcome = principalFromClaims(claims, settings);
    if ('refusal' in outcome) throw new SignInRefused(outcome.refusal);
    return outcome.principal;
  }

  private settingsOrFail(): OidcSettings {
    if (!this.settings) throw new SignInFailed('Single sign-on is not configured (LEDGER_OIDC_ISSUER)');
    return this.settings;
  }

  /** Discovery once, on first use (a provider that is down at start does not stop the service); retried after a failure. */
  private discover() {
    const settings = this.settingsOrFail();
    this.discovered ??= (async () => {
      // openid-client 6 is an ES module: loaded when single sign-on is first used, so that it is only loaded when configured.
      const client = await import('openid-client');
      const issuer = new URL(settings.issuer);
      const configuration = await client.discovery(
        issuer,
        settings.clientId,
        settings.clientSecret,
        undefined,
        // Plain http only for a provider on this machine; configuration refuses it anywhere else.
        issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : undefined,
      );
      // The library would take an ID token from the token endpoint on the strength of TLS alone; the ledger
      // also verifies its signature against the provider's published keys.
      client.enableNonRepudiationChecks(configuration);
      return { client, configuration };
    })();
    this.discovered.catch(() => (this.discovered = undefined));
    return this.discovered;
  }

  private async save(id: string, attempt: SignInAttempt | null): Promise<void> {
    await this.reads.commit(
      [{ collection: SIGN_IN_ATTEMPTS_COLLECTION, writes: [{ id, doc: attempt }] }],
      {},
    );
  }
}
