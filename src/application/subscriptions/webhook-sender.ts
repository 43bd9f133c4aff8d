import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { WebhookTargetRefused, WebhookTargets } from './webhook-targets';

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
  /** Where webhooks may connect: checked before the request and at the connection's name lookup. */
  readonly targets: WebhookTargets;
}

/**
 * What an admin sees of a failed attempt. Errors below HTTP come in categories only: a refused connection, a
 * reset, an unknown name and a TLS failure all read the same, so delivery errors cannot map the network
 * around the ledger (which ports are open where).
 */
export const DELIVERY_ERRORS = {
  refused: 'the receiver address is not allowed (private or special-use)',
  unreachable: 'could not connect to the receiver',
} as const;

/**
 * POSTs one delivery to the subscription's URL, connecting only to an address the targets allow. A 2xx answer
 * delivers it; anything else fails the attempt. Redirects are not followed: a subscription's URL is what an
 * admin approved, and a receiver must not be able to send the ledger's events (and its signature) elsewhere.
 * The answer's body is never read.
 */
export async function postWebhook(request: WebhookRequest): Promise<SendOutcome> {
  if (request.targets.hostProblem(new URL(request.url))) {
    return { kind: 'failed', error: DELIVERY_ERRORS.refused };
  }
  const sent = await post(request);
  if (sent.kind !== 'answered') return sent;
  const { status } = sent;
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  if (status >= 300 && status < 400) {
    return { kind: 'failed', status, error: `HTTP ${status}: redirects are not followed` };
  }
  return { kind: 'failed', status, error: `HTTP ${status}` };
}

/** One POST, given up after the timeout or when the caller aborts. */
async function post(
  request: WebhookRequest,
): Promise<
  { readonly kind: 'answered'; readonly status: number } | Exclude<SendOutcome, { kind: 'delivered' }>
> {
  if (request.signal.aborted) return { kind: 'aborted' };
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, request.timeoutMs);
  const abandon = () => controller.abort();
  request.signal.addEventListener('abort', abandon);
  try {
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(request.url);
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const outgoing = send(
        url,
        {
          method: 'POST',
          headers: { ...request.headers, 'content-length': Buffer.byteLength(request.body) },
          lookup: request.targets.lookup,
          signal: controller.signal,
        },
        (response) => {
          // The answer's body is of no use to the ledger; reading it off frees the connection.
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(request.body);
    });
    return { kind: 'answered', status };
  } catch (error) {
    if (request.signal.aborted) return { kind: 'aborted' };
    if (timedOut) return { kind: 'failed', error: `no answer within ${request.timeoutMs} ms` };
    return {
      kind: 'failed',
      error: error instanceof WebhookTargetRefused ? DELIVERY_ERRORS.refused : DELIVERY_ERRORS.unreachable,
    };
  } finally {
    clearTimeout(timer);
    request.signal.removeEventListener('abort', abandon);
  }
}
