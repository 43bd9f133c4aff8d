/**
 * Read-your-writes in a process that folds: readers waiting for a log position to be folded, settled as folds
 * commit (`settle` with the position every live projection has folded).
 */
export class PositionWaiters {
  private readonly waiters = new Set<{ readonly position: number; settle(reached: boolean): void }>();

  /** Resolves true once `settle` reports the position folded, false after `timeoutMs` (or `cancelAll`). */
  wait(position: number, timeoutMs: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const waiter = {
        position,
        settle: (reached: boolean) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(reached);
        },
      };
      const timer = setTimeout(() => waiter.settle(false), timeoutMs);
      this.waiters.add(waiter);
    });
  }

  settle(folded: () => number): void {
    if (this.waiters.size === 0) return;
    const position = folded();
    for (const waiter of [...this.waiters]) if (waiter.position <= position) waiter.settle(true);
  }

  cancelAll(): void {
    for (const waiter of [...this.waiters]) waiter.settle(false);
  }
}

/** A process that does not fold reads the projector's checkpoints: first soon, then at most this often. */
const CHECKPOINT_POLL_MAX_MS = 100;

/**
 * Read-your-writes in a process that does not fold: `committed()` (the lowest checkpoint the projector
 * committed) read with a growing pause until it reaches `position` (true) or `timeoutMs` passes (false).
 */
export async function pollCheckpoints(
  position: number,
  timeoutMs: number,
  committed: () => Promise<number>,
  signal: AbortSignal,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let pause = 5; ; pause = Math.min(pause * 2, CHECKPOINT_POLL_MAX_MS)) {
    if ((await committed()) >= position) return true;
    const left = deadline - Date.now();
    if (left <= 0 || signal.aborted) return false;
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
  }
}
