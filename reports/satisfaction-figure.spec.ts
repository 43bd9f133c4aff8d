import { answerDaysFigure, satisfactionFigures } from '../projections/satisfaction.figure';
import { SurveyHistory } from '../projections/survey-history.projection';
import {
  satisfactionCutDays,
  satisfactionReport,
  SatisfactionQuery,
  satisfactionReportOfFigure,
} from './satisfaction';
import { periodFigureReads } from '../test/support/period-figure-reads';
import { seededRandom } from '../test/fixtures/seeded-random';

const NOW = '2027-01-01T00:00:00.000Z';
const DAY = 86_400_000;
const SCALES = { nps: [0, 10], csat: [1, 5], ces: [1, 7] } as const;

/** 250 customers answering NPS, CSAT and CES on 60 days over 14 months, some undated, some consent choices. */
function surveys(seed: number): SurveyHistory[] {
  const next = seededRandom(seed);
  const instant = () => {
    const day = Date.UTC(2025, 9, 1) + Math.floor(next() * 60) * 7 * DAY;
    return new Date(next() < 0.3 ? day : day + Math.floor(next() * DAY)).toISOString();
  };
  return Array.from({ length: 250 }, (_, index) => {
    const consent = next();
    return {
      customerId: `c${index}`,
      position: 1,
      answers: Array.from({ length: Math.floor(next() * 5) }, (__, n) => {
        const kind = (['nps', 'csat', 'ces'] as const)[Math.floor(next() * 3)]!;
        const [low, high] = SCALES[kind];
        return {
          eventId: `e${index}-${n}`,
          kind,
          score: low + Math.floor(next() * (high - low + 1)),
          at: instant(),
          ...(next() < 0.1 && { undated: true as const }),
        };
      }),
      ...(consent < 0.15 && {
        consents: [{ purpose: 'analytics' as const, granted: false, at: '2025-11-01T00:00:00.000Z' }],
      }),
    };
  });
}

describe('the satisfaction figure', () => {
  it('answers exactly what the satisfaction report computes over every history, for any range', () => {
    const histories = surveys(21);
    const next = seededRandom(8);
    const answers = histories.flatMap((history) => history.answers.map((answer) => answer.at));
    const instant = (): string | undefined => {
      const pick = next();
      if (pick < 0.25) return undefined;
      if (pick < 0.55) return answers[Math.floor(next() * answers.length)]!;
      if (pick < 0.75) return new Date(Date.UTC(2025, 9, 1) + Math.floor(next() * 430) * DAY).toISOString();
      return new Date(Date.UTC(2025, 9, 1) + Math.floor(next() * 430 * DAY)).toISOString();
    };
    let leftOut = 0;
    for (let run = 0; run < 60; run++) {
      const [a, b] = [instant(), instant()];
      const [from, to] = a !== undefined && b !== undefined && a > b ? [b, a] : [a, b];
      const query: SatisfactionQuery = { from, to, now: NOW };
      const reads = periodFigureReads(
        histories,
        satisfactionFigures,
        answerDaysFigure,
        (history) => history.customerId,
        satisfactionCutDays(query),
      );
      const exact = satisfactionReport(histories, query);
      leftOut += exact.leftOutWithoutConsent.analytics;
      expect(satisfactionReportOfFigure(reads.buckets, reads.cutDocuments, query)).toEqual(exact);
    }
    expect(leftOut).toBeGreaterThan(0);
  });
});
