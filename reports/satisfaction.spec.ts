import { satisfactionFigures, satisfactionReport } from './satisfaction';
import { SurveyHistory, SurveyRecord } from '../projections/survey-history.projection';

const NOW = '2026-07-01T00:00:00.000Z';
let counter = 0;
const answer = (kind: SurveyRecord['kind'], score: number, at: string): SurveyRecord => ({
  eventId: `s-${++counter}`,
  kind,
  score,
  at,
});

describe('satisfaction analytics', () => {
  it('computes NPS as % promoters minus % detractors, CSAT mean and share of 4-5, CES mean', () => {
    const answers = [
      ...[10, 9, 9, 8, 7, 6, 0, 10, 3, 9].map((score) => answer('nps', score, NOW)),
      ...[5, 4, 2, 1].map((score) => answer('csat', score, NOW)),
      ...[2, 3].map((score) => answer('ces', score, NOW)),
    ];
    // NPS: 5 promoters (10, 9, 9, 10, 9), 2 passives, 3 detractors of 10: 50% - 30% = 20.
    expect(satisfactionFigures(answers)).toEqual({
      nps: { answers: 10, promoters: 5, passives: 2, detractors: 3, score: 20 },
      csat: { answers: 4, mean: 3, satisfiedShare: 0.5 },
      ces: { answers: 2, mean: 2.5 },
    });
    expect(satisfactionFigures([]).nps.score).toBeNull();
  });

  it('splits by month of the answer within the range and leaves out customers without analytics consent', () => {
    const histories: SurveyHistory[] = [
      {
        customerId: 'a',
        position: 1,
        answers: [
          answer('nps', 10, '2026-01-15T00:00:00.000Z'),
          answer('nps', 0, '2026-02-15T00:00:00.000Z'),
        ],
      },
      {
        customerId: 'b',
        position: 2,
        answers: [answer('nps', 9, '2026-02-01T00:00:00.000Z'), answer('nps', 9, '2026-05-01T00:00:00.000Z')],
      },
      {
        customerId: 'c',
        position: 3,
        answers: [answer('nps', 0, '2026-01-20T00:00:00.000Z')],
        consents: [{ purpose: 'analytics', granted: false, at: '2026-06-01T00:00:00.000Z' }],
      },
    ];
    const report = satisfactionReport(histories, {
      from: '2026-01-01T00:00:00.000Z',
      to: '2026-02-28T23:59:59.999Z',
      now: NOW,
    });
    expect(report.months.map((month) => [month.month, month.nps.answers, month.nps.score])).toEqual([
      ['2026-01', 1, 100],
      ['2026-02', 2, 0],
    ]);
    expect(report.overall.nps).toEqual({
      answers: 3,
      promoters: 2,
      passives: 0,
      detractors: 1,
      score: (100 * 1) / 3,
    });
    expect(report.leftOutWithoutConsent).toEqual({ analytics: 1 });
  });
});
