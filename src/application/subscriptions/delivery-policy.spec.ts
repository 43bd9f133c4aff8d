import { DEFAULT_DELIVERY_POLICY, deliveryPolicyOf, retryPauseMs } from './delivery-policy';

describe('delivery policy', () => {
  it('parks after 8 attempts and gives a request 10 s by default; set values replace defaults, unset keep them', () => {
    expect(deliveryPolicyOf()).toEqual(DEFAULT_DELIVERY_POLICY);
    expect(DEFAULT_DELIVERY_POLICY).toMatchObject({ maxAttempts: 8, requestTimeoutMs: 10_000 });
    expect(deliveryPolicyOf({ maxAttempts: 3, retryBaseMs: undefined })).toEqual({
      ...DEFAULT_DELIVERY_POLICY,
      maxAttempts: 3,
    });
  });

  it('doubles the pause after each failure, between half and all of the ceiling', () => {
    const policy = { ...DEFAULT_DELIVERY_POLICY, retryBaseMs: 1_000, retryMaxMs: 300_000 };
    expect([1, 2, 3, 4].map((failures) => retryPauseMs(policy, failures, () => 0))).toEqual([
      500, 1_000, 2_000, 4_000,
    ]);
    expect([1, 2, 3, 4].map((failures) => retryPauseMs(policy, failures, () => 1))).toEqual([
      1_000, 2_000, 4_000, 8_000,
    ]);
    expect(retryPauseMs(policy, 3, () => 0.5)).toBe(3_000);
  });

  it('never pauses longer than the maximum, however many failures', () => {
    const policy = { ...DEFAULT_DELIVERY_POLICY, retryBaseMs: 1_000, retryMaxMs: 60_000 };
    expect(retryPauseMs(policy, 7, () => 1)).toBe(60_000);
    expect(retryPauseMs(policy, 10_000, () => 1)).toBe(60_000);
    expect(retryPauseMs(policy, 10_000, () => 0)).toBe(30_000);
  });

  it('sums to about two minutes of retrying before the default policy parks an event', () => {
    const total = Array.from({ length: DEFAULT_DELIVERY_POLICY.maxAttempts - 1 }, (_, index) =>
      retryPauseMs(DEFAULT_DELIVERY_POLICY, index + 1, () => 1),
    ).reduce((sum, pause) => sum + pause, 0);
    expect(total).toBe(127_000);
  });
});
