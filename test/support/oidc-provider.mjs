/* global process, Buffer, URLSearchParams, URL, console */
// A real OpenID provider (the `oidc-provider` package, an ES module) for the staff sign-in tests, run in its
// own process: `node test/support/oidc-provider.mjs` with PORT and LEDGER_URL. It prints `ready <issuer>`.
//
// People sign in at its own page with a password and, optionally, a one-time code; the ID token's `amr` says
// which (`pwd`, or `pwd` and `otp`). POST /__control {"tamper": "forge" | "expire" | "none"} makes the token
// endpoint answer the next sign-ins with an ID token whose claims were changed after signing (forged), or one
// properly signed with the provider's key but expired an hour ago: what a relying party must refuse.
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const ledgerUrl = process.env.LEDGER_URL;
const issuer = `http://localhost:${port}`;

const PASSWORD = 'correct horse battery staple';
const ONE_TIME_CODE = '492039';

const PEOPLE = {
  rosa: { name: 'Rosa Rep', groups: ['staff', 'ledger-reps'] },
  ann: { name: 'Ann Analyst', groups: ['staff', 'ledger-analysts'] },
};

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingJwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key-1', alg: 'RS256', use: 'sig' };

let tamper = 'none';

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'ledger',
      client_secret: 'ledger-client-secret',
      redirect_uris: [`${ledgerUrl}/auth/callback`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    },
  ],
  jwks: { keys: [signingJwk] },
  // As company providers do, the ID token says how the person authenticated (amr, acr).
  claims: { openid: ['sub', 'amr', 'acr', 'auth_time'], profile: ['name'], groups: ['groups'] },
  scopes: ['openid', 'profile', 'groups'],
  // The claims asked for by scope go into the ID token itself, as the ledger reads them from there.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false } },
  pkce: { required: () => true },
  cookies: { keys: ['test-provider-cookie-key'] },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(_ctx, id) {
    const person = PEOPLE[id];
    return person && { accountId: id, claims: () => ({ sub: id, name: person.name, groups: person.groups }) };
  },
  // Staff apps are pre-approved by the company: no consent screen.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid profile groups');
    grant.addOIDCClaims(['sub', 'name', 'groups', 'amr', 'acr', 'auth_time']);
    await grant.save();
    return grant;
  },
});

const base64url = (value) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** The token endpoint's answer, tampered with as asked. */
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path !== '/token' || tamper === 'none' || !ctx.body?.id_token) return;
  const [header, payload, signature] = ctx.body.id_token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  if (tamper === 'forge') {
    // An attacker's edit: the groups of an admin, the signature left as it was.
    const forged = { ...claims, groups: ['ledger-admins'], amr: ['pwd', 'otp'] };
    ctx.body = { ...ctx.body, id_token: `${header}.${base64url(forged)}.${signature}` };
  } else if (tamper === 'expire') {
    const now = Math.floor(Date.now() / 1000);
    const expired = { ...claims, iat: now - 7200, exp: now - 3600 };
    const input = `${header}.${base64url(expired)}`;
    const resigned = sign('sha256', Buffer.from(input), createPrivateKey({ key: signingJwk, format: 'jwk' }));
    ctx.body = { ...ctx.body, id_token: `${input}.${resigned.toString('base64url')}` };
  }
});

const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function readForm(request) {
  let body = '';
  for await (const chunk of request) body += chunk;
  return new URLSearchParams(body);
}

function loginPage(uid, message = '') {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Company sign-in</title></head><body>
<h1>Company sign-in</h1>${message ? `<p role="alert">${escapeHtml(message)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<label for="login">User name</label><input id="login" name="login" autocomplete="username">
<label for="password">Password</label><input id="password" name="password" type="password">
<label for="otp">One-time code (optional)</label><input id="otp" name="otp" inputmode="numeric">
<button type="submit">Sign in</button></form></body></html>`;
}

const callback = provider.callback();

const server = createServer(async (request, response) => {
  try {
    const url = new URL(request.url, issuer);
    if (request.method === 'POST' && url.pathname === '/__control') {
      let body = '';
      for await (const chunk of request) body += chunk;
      tamper = JSON.parse(body).tamper ?? 'none';
      response.writeHead(204).end();
      return;
    }
    const interaction = /^\/interaction\/([^/]+)(\/login)?$/.exec(url.pathname);
    if (interaction) {
      const details = await provider.interactionDetails(request, response);
      if (request.method === 'GET') {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(loginPage(details.uid));
        return;
      }
      const form = await readForm(request);
      const login = form.get('login') ?? '';
      if (!PEOPLE[login] || form.get('password') !== PASSWORD) {
        response
          .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
          .end(loginPage(details.uid, 'Wrong user name or password'));
        return;
      }
      const secondFactor = form.get('otp') === ONE_TIME_CODE;
      await provider.interactionFinished(
        request,
        response,
        { login: { accountId: login, amr: secondFactor ? ['pwd', 'otp'] : ['pwd'] } },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    callback(request, response);
  } catch (error) {
    console.error(error);
    response.writeHead(500).end(String(error));
  }
});

server.listen(port, 'localhost', () => console.log(`ready ${issuer}`));
