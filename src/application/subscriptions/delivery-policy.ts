import { SubscriptionDeliverySettings } from '../../config/ledger-config';

/** Retries, backoff and timeouts of outbound subscriptions, every value set. */
export interface DeliveryPolicy {
  /** Attempts per event before it is parked. */
  readonly maxAttempts: number;
  /** The pause after the first failed attempt; doubled after each further one, up to retryMaxMs. */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** How long one request may take before it counts as failed. */
  readonly requestTimeoutMs: number;
  /** How often the delivering process looks for subscriptions registered, stopped or replayed elsewhere. */
  readonly pollIntervalMs: number;
}

/**
 * Eight attempts with pauses of about 1, 2, 4 ... 64 s: about two minutes of a receiver failing before an
 * event is parked and delivery moves on. A request gets 10 s, as Stripe and GitHub give their webhooks.
 */
export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = {
  maxAttempts: 8,
  retryBaseMs: 1_000,
  retryMaxMs: 300_000,
  requestTimeoutMs: 10_000,
  pollIntervalMs: 1_000,
};

/** The configured settings over the defaults (an unset value keeps its default). */
export function deliveryPolicyOf(settings: SubscriptionDeliverySettings = {}): DeliveryPolicy {
  const defined = Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined));
  return { ...DEFAULT_DELIVERY_POLICY, ...defined };
}

/**
 * The pause after `failedAttempts` failures: exponential, capped, with "equal jitter" (half fixed, half
 * random), so that receivers coming back from an outage are not met by every subscription at once, while a
 * pause never shrinks to nothing.
 */
export function retryPauseMs(policy: DeliveryPolicy, failedAttempts: number, random = Math.random): number {
  const exponent = Math.min(Math.max(failedAttempts - 1, 0), 30);
  const ceiling = Math.min(policy.retryMaxMs, policy.retryBaseMs * 2 ** exponent);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
