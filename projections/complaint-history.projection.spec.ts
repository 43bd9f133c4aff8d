import {
  aComplaintFiled,
  aComplaintResolved,
  aConsentGranted,
  anEvent,
  aPurchaseCompleted,
  copyOf,
  EVENT_TYPES,
  fold,
  projectionSpec,
  redelivered,
} from '../test/fixtures/projected-events';
import { complaintHistoryProjection } from './complaint-history.projection';

const { given } = projectionSpec(complaintHistoryProjection);

describe('complaint-history projection', () => {
  it('routes complaints and consent choices only', () => {
    const routed = EVENT_TYPES.filter(
      (type) => complaintHistoryProjection.documentId(anEvent(type)) !== undefined,
    );
    expect(routed).toEqual(['ConsentGranted', 'ConsentWithdrawn', 'ComplaintFiled', 'ComplaintResolved']);
    expect(complaintHistoryProjection.documentId(aPurchaseCompleted())).toBeUndefined();
  });

  it('keeps category, severity and both instants, and what the resolution said, never the texts', () => {
    const k1 = aComplaintFiled(
      { complaintId: 'K-1', category: 'delivery', severity: 'high' },
      { occurredAt: '2026-01-01T00:00:00.000Z' },
    );
    const k2 = aComplaintFiled(
      { complaintId: 'K-2', category: undefined, severity: 'low' },
      { occurredAt: '2026-01-02T00:00:00.000Z' },
    );
    const resolved = aComplaintResolved(
      { complaintId: 'K-1', satisfied: false },
      { occurredAt: '2026-01-04T12:00:00.000Z' },
    );
    const consent = aConsentGranted({ purpose: 'analytics' }, { occurredAt: '2026-01-05T00:00:00.000Z' });

    given(k1, k2, resolved)
      .when(consent)
      .then({
        customerId: 'c-ada',
        position: consent.position,
        complaints: [
          {
            complaintId: 'K-1',
            category: 'delivery',
            severity: 'high',
            filedAt: '2026-01-01T00:00:00.000Z',
            resolvedAt: '2026-01-04T12:00:00.000Z',
            satisfied: false,
          },
          { complaintId: 'K-2', category: null, severity: 'low', filedAt: '2026-01-02T00:00:00.000Z' },
        ],
        consents: [{ purpose: 'analytics', granted: true, at: '2026-01-05T00:00:00.000Z' }],
      });
    expect(JSON.stringify(given(k1, k2, resolved).doc())).not.toContain('enc:v1:');
  });

  it('leaves satisfaction out when the resolution does not say it', () => {
    const filed = aComplaintFiled({ complaintId: 'K-3' });
    const resolved = aComplaintResolved({ complaintId: 'K-3', satisfied: undefined });
    expect(given(filed, resolved).doc()?.complaints[0]).not.toHaveProperty('satisfied');
  });

  describe('run it twice, same result', () => {
    it.each(EVENT_TYPES)('folding the same %s again leaves the document unchanged', (type) => {
      const past = [aComplaintFiled({ complaintId: 'K-1' })];
      const event = anEvent(type);
      const doc = fold(complaintHistoryProjection, [...past, event]);
      const before = copyOf(doc);
      // Redelivered as the runner folds it: an event the projection routes nowhere never reaches evolve.
      expect(fold(complaintHistoryProjection, [...past, event, redelivered(event)])).toEqual(before);
    });
  });
});
