/** What one POST to a receiver came to. */
export type SendOutcome =
  | { readonly kind: 'delivered'; readonly status: number }
  /** Not a 2xx answer, a timeout or a network error: worth another attempt. */
  | { readonly kind: 'failed'; readonly error: string; readonly status?: number }
  /** The caller gave up (the subscription was stopped or replayed, or the process shuts down). */
  | { readonly kind: 'aborted' };

export interface WebhookRequest {
  readonly url: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}

/** Redirects followed within the receiver's own origin before the attempt counts as failed. */
const MAX_SAME_ORIGIN_REDIRECTS = 3;

/**
 * POSTs one delivery. A 2xx answer delivers it; anything else fails the attempt. Redirects are followed only
 * when they keep the method and body (307, 308) and stay on the receiver's origin: a subscription's URL is
 * what an admin approved, and a receiver must not be able to send the ledger's events (and its signature)
 * somewhere else. The answer's body is never read.
 */
export async function postWebhook(request: WebhookRequest): Promise<SendOutcome> {
  const origin = new URL(request.url).origin;
  let url = request.url;
  for (let redirects = 0; ; redirects++) {
    const sent = await post(url, request);
    if (sent.kind !== 'answered') return sent;
    const response = sent.response;
    // The answer's body is of no use to the ledger; cancelling frees the connection at once.
    await response.body?.cancel().catch(() => undefined);
    if (response.status >= 200 && response.status < 300)
      return { kind: 'delivered', status: response.status };
    if (response.status < 300 || response.status >= 400) {
      return { kind: 'failed', status: response.status, error: `HTTP ${response.status}` };
    }
    const location = response.headers.get('location');
    const target = location ? resolvedUrl(location, url) : undefined;
    if (!target || target.origin !== origin || ![307, 308].includes(response.status)) {
      return {
        kind: 'failed',
        status: response.status,
        error: `HTTP ${response.status} redirect to ${target?.origin ?? 'nowhere'} not followed (only 307/308 within ${origin} are)`,
      };
    }
    if (redirects >= MAX_SAME_ORIGIN_REDIRECTS) {
      return {
        kind: 'failed',
        status: response.status,
        error: `more than ${MAX_SAME_ORIGIN_REDIRECTS} redirects`,
      };
    }
    url = target.href;
  }
}

/**
 * One POST, given up after the timeout or when the caller aborts. A controller of its own rather than
 * AbortSignal.any: listeners tied to the runner's long-lived signal are removed as soon as the request ends.
 */
async function post(
  url: string,
  request: WebhookRequest,
): Promise<
  { readonly kind: 'answered'; readonly response: Response } | Exclude<SendOutcome, { kind: 'delivered' }>
> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, request.timeoutMs);
  const abandon = () => controller.abort();
  request.signal.addEventListener('abort', abandon);
  try {
    if (request.signal.aborted) return { kind: 'aborted' };
    const response = await fetch(url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal: controller.signal,
    });
    return { kind: 'answered', response };
  } catch (error) {
    if (request.signal.aborted) return { kind: 'aborted' };
    if (timedOut) return { kind: 'failed', error: `no answer within ${request.timeoutMs} ms` };
    return { kind: 'failed', error: networkErrorOf(error) };
  } finally {
    clearTimeout(timer);
    request.signal.removeEventListener('abort', abandon);
  }
}

function resolvedUrl(location: string, base: string): URL | undefined {
  try {
    return new URL(location, base);
  } catch {
    return undefined;
  }
}

/** fetch reports "fetch failed" and hides the reason (refused, reset, DNS) in `cause`. */
function networkErrorOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? String(error);
}
