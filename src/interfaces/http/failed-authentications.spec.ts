import { FailedAuthentications } from './failed-authentications';

describe('FailedAuthentications', () => {
  it('lets an address fail up to the limit, then makes it wait until its window ends', () => {
    const failures = new FailedAuthentications(3, 60_000);
    for (let i = 0; i < 3; i++) {
      expect(failures.retryAfterSeconds('203.0.113.9', 1_000)).toBeUndefined();
      failures.record('203.0.113.9', 1_000);
    }
    expect(failures.retryAfterSeconds('203.0.113.9', 1_000)).toBe(60);
    expect(failures.retryAfterSeconds('203.0.113.9', 45_500)).toBe(16);
    expect(failures.retryAfterSeconds('198.51.100.7', 45_500)).toBeUndefined();
    expect(failures.retryAfterSeconds('203.0.113.9', 61_000)).toBeUndefined();
  });

  it('starts a new window once the last one is over', () => {
    const failures = new FailedAuthentications(2, 10_000);
    failures.record('a', 0);
    failures.record('a', 10_000);
    failures.record('a', 10_001);
    expect(failures.retryAfterSeconds('a', 10_002)).toBe(10);
  });
});
