import { createHmac, timingSafeEqual } from 'node:crypto';

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`, as Stripe and Twenty sign their webhooks. */
export const SIGNATURE_HEADER = 'ledger-signature';
/** The delivered event's id: the same on every retry and replay, so that receivers can drop duplicates. */
export const EVENT_ID_HEADER = 'ledger-event-id';
/** The subscription a delivery belongs to. */
export const SUBSCRIPTION_ID_HEADER = 'ledger-subscription-id';

/** How far a signature's timestamp may lie from the receiver's clock by default: replayed requests age out. */
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;

function hmacHex(secret: string, timestamp: number, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/** The value of the `ledger-signature` header for a body sent at `timestampSeconds`. */
export function signatureHeader(secret: string, body: string | Buffer, timestampSeconds: number): string {
  return `t=${timestampSeconds},v1=${hmacHex(secret, timestampSeconds, body)}`;
}

export type SignatureCheck =
  { readonly valid: true; readonly timestamp: number } | { readonly valid: false; readonly reason: string };

/**
 * For receivers: checks a delivery's `ledger-signature` header against the raw request body (the exact
 * bytes received, before any JSON parsing) and the subscription's secret. Valid when one `v1` signature
 * matches (compared in constant time) and the timestamp lies within `toleranceSeconds` of `now`, which
 * bounds how long a captured request could be replayed. Duplicates (retries, replays) are the receiver's to
 * drop by the `ledger-event-id` header.
 */
export function verifyLedgerSignature(input: {
  readonly secret: string;
  readonly header: string | undefined;
  readonly body: string | Buffer;
  readonly toleranceSeconds?: number;
  readonly now?: Date;
}): SignatureCheck {
  if (!input.header) return { valid: false, reason: `no ${SIGNATURE_HEADER} header` };
  const parts = input.header.split(',').map((part) => part.trim().split('=', 2) as [string, string?]);
  const timestamps = parts.filter(([key]) => key === 't').map(([, value]) => value ?? '');
  const signatures = parts.filter(([key]) => key === 'v1').map(([, value]) => value ?? '');
  if (timestamps.length !== 1 || !/^\d{1,12}$/.test(timestamps[0]!)) {
    return { valid: false, reason: 'the header must hold one timestamp t=<unix seconds>' };
  }
  if (signatures.length === 0) return { valid: false, reason: 'the header holds no v1 signature' };
  const timestamp = Number(timestamps[0]);
  const nowSeconds = Math.floor((input.now ?? new Date()).getTime() / 1000);
  const tolerance = input.toleranceSeconds ?? DEFAULT_SIGNATURE_TOLERANCE_SECONDS;
  if (Math.abs(nowSeconds - timestamp) > tolerance) {
    return { valid: false, reason: `the timestamp is more than ${tolerance} s away from now` };
  }
  const expected = Buffer.from(hmacHex(input.secret, timestamp, input.body), 'hex');
  const matches = signatures.some((signature) => {
    const given = /^[0-9a-f]{64}$/i.test(signature) ? Buffer.from(signature, 'hex') : undefined;
    return given !== undefined && timingSafeEqual(given, expected);
  });
  return matches ? { valid: true, timestamp } : { valid: false, reason: 'no v1 signature matches the body' };
}
