import {
  anEvent,
  aPurchaseCompleted,
  aSurveyAnswered,
  copyOf,
  EVENT_TYPES,
  fold,
  projectionSpec,
  redelivered,
} from '../test/fixtures/projected-events';
import { surveyHistoryProjection } from './survey-history.projection';

const { given } = projectionSpec(surveyHistoryProjection);

describe('survey-history projection', () => {
  it('routes survey answers and consent choices only', () => {
    const routed = EVENT_TYPES.filter(
      (type) => surveyHistoryProjection.documentId(anEvent(type)) !== undefined,
    );
    expect(routed).toEqual(['ConsentGranted', 'ConsentWithdrawn', 'SurveyAnswered']);
    expect(surveyHistoryProjection.documentId(aPurchaseCompleted())).toBeUndefined();
  });

  it('keeps kind, raw score and instant of each answer, never the comment', () => {
    const nps = aSurveyAnswered({ kind: 'nps', score: 6 }, { occurredAt: '2026-01-01T00:00:00.000Z' });
    const ces = aSurveyAnswered({ kind: 'ces', score: 2 }, { occurredAt: '2026-02-01T00:00:00.000Z' });
    given(nps)
      .when(ces)
      .then({
        customerId: 'c-ada',
        position: ces.position,
        answers: [
          { eventId: nps.eventId, kind: 'nps', score: 6, at: '2026-01-01T00:00:00.000Z' },
          { eventId: ces.eventId, kind: 'ces', score: 2, at: '2026-02-01T00:00:00.000Z' },
        ],
      });
  });

  describe('run it twice, same result', () => {
    it.each(EVENT_TYPES)('folding the same %s again leaves the document unchanged', (type) => {
      const earlier = aSurveyAnswered();
      const event = anEvent(type);
      const doc = fold(surveyHistoryProjection, [earlier, event]);
      const before = copyOf(doc);
      // Redelivered as the runner folds it: an event the projection routes nowhere never reaches evolve.
      expect(fold(surveyHistoryProjection, [earlier, event, redelivered(event)])).toEqual(before);
    });
  });
});
