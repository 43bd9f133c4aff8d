/** Small measuring helpers for the benchmark: percentiles, rates, memory. */

export function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return 0;
  return sortedMs[Math.min(sortedMs.length - 1, Math.floor((p / 100) * sortedMs.length))]!;
}

export interface Measurement {
  readonly name: string;
  readonly events: number;
  readonly seconds: number;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  readonly extra?: string;
}

export function rate(measurement: Measurement): number {
  return measurement.events / measurement.seconds;
}

export async function timed<T>(run: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const start = process.hrtime.bigint();
  const result = await run();
  return { result, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

/** Runs `count` operations with `concurrency` in flight, recording each one's latency. */
export async function withLatencies(
  count: number,
  concurrency: number,
  operation: (index: number) => Promise<unknown>,
): Promise<{ seconds: number; latenciesMs: number[] }> {
  const latenciesMs: number[] = [];
  let next = 0;
  const { seconds } = await timed(async () => {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          const index = next++;
          const start = process.hrtime.bigint();
          await operation(index);
          latenciesMs.push(Number(process.hrtime.bigint() - start) / 1e6);
        }
      }),
    );
  });
  return { seconds, latenciesMs: latenciesMs.sort((a, b) => a - b) };
}

export function peakRssOfThisProcessBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

export function formatRate(perSecond: number): string {
  return `${Math.round(perSecond).toLocaleString('en-US')}/s`;
}
