import { monthOf } from './cohorts';
import { consentGiven } from '../projections/consent';
import { SurveyHistory, SurveyRecord } from '../projections/survey-history.projection';

/** NPS, CSAT and CES figures over a set of answers. */
export interface SatisfactionFigures {
  readonly nps: {
    readonly answers: number;
    /** Scores 9-10. */
    readonly promoters: number;
    /** Scores 7-8. */
    readonly passives: number;
    /** Scores 0-6. */
    readonly detractors: number;
    /** % promoters - % detractors, -100..100; null without answers. */
    readonly score: number | null;
  };
  readonly csat: {
    readonly answers: number;
    /** Mean score on the 1-5 scale. */
    readonly mean: number | null;
    /** Share of answers 4 or 5 (the usual CSAT %). */
    readonly satisfiedShare: number | null;
  };
  readonly ces: {
    readonly answers: number;
    /** Mean effort on the 1-7 scale (lower is easier). */
    readonly mean: number | null;
  };
}

export interface SatisfactionReport {
  readonly from?: string;
  readonly to?: string;
  readonly overall: SatisfactionFigures;
  /**
   * By month of the answer; `undatedAnswers` counts those whose source had no date, so that their month is
   * when they were recorded, not when they were given.
   */
  readonly months: readonly ({
    readonly month: string;
    readonly undatedAnswers: number;
  } & SatisfactionFigures)[];
  /** Answers in the range whose source had no date (dated when recorded). */
  readonly undatedAnswers: number;
  readonly leftOutWithoutConsent: { readonly analytics: number };
}

export interface SatisfactionQuery {
  /** Answers given in [from, to] (ISO instants, both optional). */
  readonly from?: string;
  readonly to?: string;
  /** The processing instant: customers whose analytics consent is withdrawn then are left out. */
  readonly now: string;
}

/** NPS, CSAT and CES over the answers given in a range, overall and by month (UTC) of the answer. */
export function satisfactionReport(
  histories: Iterable<SurveyHistory>,
  query: SatisfactionQuery,
): SatisfactionReport {
  const answers: SurveyRecord[] = [];
  let withoutConsent = 0;
  for (const history of histories) {
    const inRange = history.answers.filter(
      (answer) => (!query.from || answer.at >= query.from) && (!query.to || answer.at <= query.to),
    );
    if (inRange.length === 0) continue;
    if (!consentGiven(history.consents, 'analytics', query.now)) withoutConsent++;
    else answers.push(...inRange);
  }
  const byMonth = new Map<string, SurveyRecord[]>();
  for (const answer of answers) {
    const month = monthOf(answer.at);
    const answersOfMonth = byMonth.get(month);
    if (answersOfMonth) answersOfMonth.push(answer);
    else byMonth.set(month, [answer]);
  }
  return {
    ...(query.from && { from: query.from }),
    ...(query.to && { to: query.to }),
    overall: satisfactionFigures(answers),
    undatedAnswers: countUndated(answers),
    months: [...byMonth.keys()].sort().map((month) => ({
      month,
      undatedAnswers: countUndated(byMonth.get(month)!),
      ...satisfactionFigures(byMonth.get(month)!),
    })),
    leftOutWithoutConsent: { analytics: withoutConsent },
  };
}

/** The figures of one set of answers. */
export function satisfactionFigures(answers: readonly SurveyRecord[]): SatisfactionFigures {
  const scores = (kind: SurveyRecord['kind']) => answers.filter((a) => a.kind === kind).map((a) => a.score);
  const nps = scores('nps');
  const promoters = nps.filter((score) => score >= 9).length;
  const detractors = nps.filter((score) => score <= 6).length;
  const csat = scores('csat');
  const ces = scores('ces');
  const mean = (values: number[]) =>
    values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length;
  return {
    nps: {
      answers: nps.length,
      promoters,
      passives: nps.length - promoters - detractors,
      detractors,
      score: nps.length === 0 ? null : (100 * (promoters - detractors)) / nps.length,
    },
    csat: {
      answers: csat.length,
      mean: mean(csat),
      satisfiedShare: csat.length === 0 ? null : csat.filter((score) => score >= 4).length / csat.length,
    },
    ces: { answers: ces.length, mean: mean(ces) },
  };
}

const countUndated = (answers: readonly SurveyRecord[]) => answers.filter((answer) => answer.undated).length;
