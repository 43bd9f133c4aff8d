import type { FastifyReply, FastifyRequest } from 'fastify';

/** A sign-in problem, as RFC 7807 problem details (the shape of ../problem-details, kept apart from it). */
export interface SignInProblem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
}

/** The sign-in pages run no script and load nothing; they only link or move on. */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'content-type': 'text/html; charset=utf-8',
};

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

function page(title: string, body: string, head = ''): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Customer ledger</title>${head}
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1d2430}
h1{font-size:1.4rem}.refusal{border-left:4px solid #b42318;padding:.5rem 1rem;background:#fef3f2}</style></head>
<body><main>${body}</main></body></html>`;
}

/** Whether the client asked for JSON rather than a page (an API call rather than a browser). */
const wantsJson = (request: FastifyRequest) =>
  /application\/(problem\+)?json/.test(String(request.headers.accept ?? '')) &&
  !/text\/html/.test(String(request.headers.accept ?? ''));

/** A refused or failed sign-in: a clear page for a browser, problem+json for a client that asks for JSON. */
export function sendSignInProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  problem: SignInProblem,
): void {
  if (wantsJson(request)) {
    void reply.status(problem.status).header('content-type', 'application/problem+json').send(problem);
    return;
  }
  void reply
    .status(problem.status)
    .headers(PAGE_HEADERS)
    .send(
      page(
        problem.title,
        `<h1>${escapeHtml(problem.title)}</h1><p class="refusal" role="alert">${escapeHtml(problem.detail ?? '')}</p>
<p><a href="/auth/sign-in">Sign in again</a> · <a href="/">Back to the ledger</a></p>`,
      ),
    );
}

/**
 * After the provider's cross-site redirect, the browser would not send a SameSite=Strict cookie on a redirect
 * that continues the same navigation; a page of our own that moves on makes the next request same-site.
 */
export function sendSignedInPage(reply: FastifyReply, displayName: string): void {
  void reply
    .status(200)
    .headers(PAGE_HEADERS)
    .send(
      page(
        'Signed in',
        `<h1>Signed in as ${escapeHtml(displayName)}</h1><p><a href="/">Continue to the ledger</a></p>`,
        '<meta http-equiv="refresh" content="0;url=/">',
      ),
    );
}
