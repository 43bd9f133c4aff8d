import { consentGiven } from '../projections/consent';
import { countAcross, dayOf, firstDayOf, monthOf } from '../projections/period-figures';
import { Counters, FigureBucket } from '../projections/population-figure';
import { answerContributions } from '../projections/satisfaction.figure';
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

/** The figures of one set of answers: their scores counted by `<kind>:<score>`, as the figure keeps them. */
export function satisfactionFigures(answers: readonly SurveyRecord[]): SatisfactionFigures {
  const counts = new Map<string, number>();
  for (const { kind, score } of answers)
    counts.set(`${kind}:${score}`, (counts.get(`${kind}:${score}`) ?? 0) + 1);
  return figuresOfCounts(counts);
}

const countUndated = (answers: readonly SurveyRecord[]) => answers.filter((answer) => answer.undated).length;

/** The days a satisfaction question cuts in two: those of `from` and `to`. */
export function satisfactionCutDays(query: SatisfactionQuery): string[] {
  return [...new Set([query.from, query.to].filter((at) => at !== undefined).map(dayOf))];
}

/**
 * The satisfaction report from the satisfaction figure (satisfactionFigures): the buckets that cover the cut
 * days (see periodCover) and the survey histories with an answer on a cut day (answerDaysFigure), which are
 * counted exactly. The same answer as satisfactionReport over every history, but for consent, which is the
 * customers' latest choice (as every kept figure counts it) rather than the choice in force at `now`.
 */
export function satisfactionReportOfFigure(
  buckets: Iterable<FigureBucket>,
  cutHistories: Iterable<SurveyHistory>,
  query: SatisfactionQuery,
): SatisfactionReport {
  const from = query.from === undefined ? undefined : dayOf(query.from);
  const to = query.to === undefined ? undefined : dayOf(query.to);
  const total = countAcross(
    buckets,
    cutHistories,
    (history) => answerContributions(history),
    (period, counters) => {
      const firstDay = firstDayOf(period);
      if ((from !== undefined && firstDay < from) || (to !== undefined && firstDay > to)) return {};
      return answersCounted(period.slice(0, 7), counters, from);
    },
    (history) => {
      const counted: Record<string, number> = {};
      for (const [day, counters] of answerContributions(history, query))
        for (const [name, count] of Object.entries(answersCounted(day.slice(0, 7), counters, undefined)))
          counted[name] = (counted[name] ?? 0) + count;
      return counted;
    },
  );
  const byMonth = new Map<string, Map<string, number>>();
  const overall = new Map<string, number>();
  for (const [name, count] of total) {
    const [month, measure] = name.split('|');
    if (measure === undefined) continue;
    const counts = byMonth.get(month!) ?? new Map<string, number>();
    counts.set(measure, count);
    byMonth.set(month!, counts);
    overall.set(measure, (overall.get(measure) ?? 0) + count);
  }
  const answered = [...byMonth.keys()].filter((month) =>
    [...byMonth.get(month)!.keys()].some((measure) => measure !== 'undated'),
  );
  return {
    ...(query.from && { from: query.from }),
    ...(query.to && { to: query.to }),
    overall: figuresOfCounts(overall),
    undatedAnswers: overall.get('undated') ?? 0,
    months: answered.sort().map((month) => ({
      month,
      undatedAnswers: byMonth.get(month)!.get('undated') ?? 0,
      ...figuresOfCounts(byMonth.get(month)!),
    })),
    leftOutWithoutConsent: { analytics: total.get('withoutConsent') ?? 0 },
  };
}

/** A bucket's counters as the report counts them: `<month>|<kind>:<score>`, and customers left out. */
function answersCounted(month: string, counters: Counters, fromDay: string | undefined): Counters {
  const counted: Record<string, number> = {};
  for (const [name, count] of Object.entries(counters)) {
    if (!name.startsWith('withoutConsent:')) counted[`${month}|${name}`] = count;
    else {
      const previous = name.slice('withoutConsent:'.length);
      // A customer counts by their first answer in the range: the one whose previous answer lies before it.
      if (previous === 'none' || (fromDay !== undefined && previous < fromDay))
        counted.withoutConsent = (counted.withoutConsent ?? 0) + count;
    }
  }
  return counted;
}

/** The figures of answers counted by `<kind>:<score>` (scores are whole numbers: the sums are exact). */
function figuresOfCounts(counts: ReadonlyMap<string, number>): SatisfactionFigures {
  const of = (kind: SurveyRecord['kind']) => {
    let answers = 0;
    let sum = 0;
    const at = (test: (score: number) => boolean) => {
      let matching = 0;
      for (const [name, count] of counts)
        if (name.startsWith(`${kind}:`) && test(Number(name.slice(kind.length + 1)))) matching += count;
      return matching;
    };
    for (const [name, count] of counts) {
      if (!name.startsWith(`${kind}:`)) continue;
      answers += count;
      sum += count * Number(name.slice(kind.length + 1));
    }
    return { answers, mean: answers === 0 ? null : sum / answers, at };
  };
  const nps = of('nps');
  const csat = of('csat');
  const ces = of('ces');
  const promoters = nps.at((score) => score >= 9);
  const detractors = nps.at((score) => score <= 6);
  return {
    nps: {
      answers: nps.answers,
      promoters,
      passives: nps.answers - promoters - detractors,
      detractors,
      score: nps.answers === 0 ? null : (100 * (promoters - detractors)) / nps.answers,
    },
    csat: {
      answers: csat.answers,
      mean: csat.mean,
      satisfiedShare: csat.answers === 0 ? null : csat.at((score) => score >= 4) / csat.answers,
    },
    ces: { answers: ces.answers, mean: ces.mean },
  };
}
