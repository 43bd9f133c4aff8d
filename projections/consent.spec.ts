import {
  aConsentGranted,
  aConsentWithdrawn,
  aProductBrowsed,
  aPurchaseCompleted,
} from '../test/fixtures/projected-events';
import { consentGiven, ConsentHistory, withConsentChange, withdrawnSince } from './consent';
import { isWithheld, loyaltyAsOf, loyaltyProjection } from './loyalty.projection';

const at = (day: number) => new Date(Date.UTC(2026, 0, 1 + day)).toISOString();
const history = (...events: Parameters<typeof withConsentChange>[1][]): ConsentHistory | undefined =>
  events.reduce<ConsentHistory | undefined>((current, event) => withConsentChange(current, event), undefined);

describe('consent history', () => {
  it('keeps choices in time order whatever order they arrive in, and ignores other events', () => {
    const kept = history(
      aConsentGranted({ purpose: 'analytics' }, { occurredAt: at(10) }),
      aProductBrowsed({}, { occurredAt: at(11) }),
      aConsentWithdrawn({ purpose: 'analytics' }, { occurredAt: at(5) }),
    );
    expect(kept).toEqual([
      { purpose: 'analytics', granted: false, at: at(5) },
      { purpose: 'analytics', granted: true, at: at(10) },
    ]);
    expect(history(aProductBrowsed({}, { occurredAt: at(1) }))).toBeUndefined();
  });

  it('answers per purpose and instant: allowed without a choice, withdrawn from its instant, resumed by a grant', () => {
    const kept = history(
      aConsentWithdrawn({ purpose: 'profiling' }, { occurredAt: at(10) }),
      aConsentGranted({ purpose: 'profiling' }, { occurredAt: at(20) }),
    );
    expect(consentGiven(undefined, 'profiling', at(15))).toBe(true);
    expect(consentGiven(kept, 'profiling', at(9))).toBe(true);
    expect(consentGiven(kept, 'profiling', at(10))).toBe(false);
    expect(consentGiven(kept, 'profiling', at(19))).toBe(false);
    expect(consentGiven(kept, 'profiling', at(20))).toBe(true);
    expect(consentGiven(kept, 'analytics', at(15))).toBe(true);
    expect(withdrawnSince(kept, 'profiling', at(15))).toBe(at(10));
    expect(withdrawnSince(kept, 'profiling', at(25))).toBeUndefined();
  });

  it('withholds the loyalty score while profiling is withdrawn, and scores again after a new grant', () => {
    const facts = [
      aPurchaseCompleted({}, { occurredAt: at(1) }),
      aConsentWithdrawn({ purpose: 'profiling' }, { occurredAt: at(10) }),
      aConsentGranted({ purpose: 'profiling' }, { occurredAt: at(20) }),
    ].reduce(loyaltyProjection.evolve, null);

    const during = loyaltyAsOf(facts, at(15), 'EUR');
    const after = loyaltyAsOf(facts, at(25), 'EUR');
    expect(isWithheld(during) && during.withheld).toEqual({
      purpose: 'profiling',
      since: at(10),
      reason: expect.stringContaining('profiling'),
    });
    expect(isWithheld(after)).toBe(false);
    expect(after.score).toBeGreaterThan(0);
    expect(isWithheld(loyaltyAsOf(facts, at(25), 'EUR', ['analytics', 'profiling']))).toBe(false);
  });
});
