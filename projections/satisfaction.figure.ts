import { latestConsentGiven } from './consent';
import { customersByDayFigure, dayOf, periodFigures } from './period-figures';
import { Counters } from './population-figure';
import { SurveyHistory } from './survey-history.projection';

/** The answers a question keeps: given in [from, to] (ISO instants, both optional). */
export interface AnswerWindow {
  readonly from?: string;
  readonly to?: string;
}

/**
 * Survey answers kept by the day and the month they were given (UTC), so that the satisfaction report reads a
 * few dozen buckets instead of every survey history. Each answer adds `<kind>:<score>` (and `undated` when its
 * source had no date) to its bucket. A customer whose latest choice withdrew analytics consent adds, for each
 * answer, `withoutConsent:<day of their previous answer>` (`none` for the first): a range then counts each such
 * customer once, by their first answer in it.
 */
export const satisfactionFigures = periodFigures<SurveyHistory>('satisfaction', (history) =>
  answerContributions(history),
);

/** The customers with an answer on each day (see customersByDayFigure). */
export const answerDaysFigure = customersByDayFigure<SurveyHistory>(
  'answer-days',
  (history) => history.customerId,
  (history) => history.answers.map((answer) => answer.at),
);

/** What one customer's answers add, by day: all of them, or only those a window keeps, to the instant. */
export function answerContributions(history: SurveyHistory, window?: AnswerWindow): Map<string, Counters> {
  const answers = history.answers
    .filter(
      (answer) =>
        !window || ((!window.from || answer.at >= window.from) && (!window.to || answer.at <= window.to)),
    )
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const days = new Map<string, Record<string, number>>();
  const add = (day: string, name: string) => {
    const counters = days.get(day) ?? {};
    counters[name] = (counters[name] ?? 0) + 1;
    days.set(day, counters);
  };
  if (!latestConsentGiven(history.consents, 'analytics')) {
    // Within a window only the first answer kept counts the customer.
    answers
      .slice(0, window ? 1 : answers.length)
      .forEach((answer, index) =>
        add(dayOf(answer.at), `withoutConsent:${index === 0 ? 'none' : dayOf(answers[index - 1]!.at)}`),
      );
    return days;
  }
  for (const answer of answers) {
    add(dayOf(answer.at), `${answer.kind}:${answer.score}`);
    if (answer.undated) add(dayOf(answer.at), 'undated');
  }
  return days;
}
