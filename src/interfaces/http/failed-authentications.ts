import { LRUCache } from 'lru-cache';

/** Failed authentications one client address may make in a window before it has to wait. */
export const FAILED_AUTHENTICATION_LIMIT = 20;
export const FAILED_AUTHENTICATION_WINDOW_MS = 60_000;

interface Window {
  readonly startedAt: number;
  failures: number;
}

/**
 * Failed authentications per client address, in fixed windows: past the limit, every request of that address
 * that needs a key waits for the window to end (429), whatever key it brings, so that keys cannot be guessed
 * at the speed of the network. Addresses are held in a bounded cache: a flood of addresses forgets the oldest.
 */
export class FailedAuthentications {
  private readonly windows: LRUCache<string, Window>;

  constructor(
    private readonly limit: number = FAILED_AUTHENTICATION_LIMIT,
    private readonly windowMs = FAILED_AUTHENTICATION_WINDOW_MS,
    maxAddresses = 10_000,
  ) {
    this.windows = new LRUCache({ max: maxAddresses });
  }

  /** Seconds the address must wait before it may try again, or undefined when it may try now. */
  retryAfterSeconds(address: string, now: number): number | undefined {
    const window = this.current(address, now);
    if (!window || window.failures < this.limit) return undefined;
    return Math.max(1, Math.ceil((window.startedAt + this.windowMs - now) / 1000));
  }

  /** Counts one failed authentication of the address. */
  record(address: string, now: number): void {
    const window = this.current(address, now);
    if (window) window.failures++;
    else this.windows.set(address, { startedAt: now, failures: 1 });
  }

  private current(address: string, now: number): Window | undefined {
    const window = this.windows.get(address);
    return window && now - window.startedAt < this.windowMs ? window : undefined;
  }
}
