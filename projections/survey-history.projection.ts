import { SurveyKind } from '../src/domain/customer-events';
import { ConsentHistory, withConsentChange } from './consent';
import { alreadyFolded, PositionedDoc, ProjectedEvent, Projection } from './projection';
import { answerDaysFigure, satisfactionFigures } from './satisfaction.figure';

/** One survey answer as satisfaction analytics read it: kind, raw score and when (never the comment). */
export interface SurveyRecord {
  readonly eventId: string;
  readonly kind: SurveyKind;
  readonly score: number;
  readonly at: string;
  /** The source had no date: `at` is when the answer was recorded (an import of an undated survey). */
  readonly undated?: true;
}

/** A customer's survey answers with the consent history (analytics figures need `analytics`). */
export interface SurveyHistory extends PositionedDoc {
  readonly customerId: string;
  readonly answers: readonly SurveyRecord[];
  /**
   * Consent choices (a copy, see projections/consent.ts): the satisfaction report scans every survey history
   * and leaves out customers whose analytics consent is withdrawn, without a lookup per customer.
   */
  readonly consents?: ConsentHistory;
}

const FOLDED_TYPES: ReadonlySet<ProjectedEvent['type']> = new Set([
  'SurveyAnswered',
  'ConsentGranted',
  'ConsentWithdrawn',
]);

export const surveyHistoryProjection: Projection<SurveyHistory> = {
  name: 'survey-history',
  // 3: the satisfaction figures.
  version: 3,
  indexes: [],
  figures: [satisfactionFigures.months, satisfactionFigures.days, answerDaysFigure],
  documentId: (event) => (FOLDED_TYPES.has(event.type) ? event.customerId : undefined),
  evolve: (previous, event) => {
    if (alreadyFolded(previous, event)) return previous;
    const doc: SurveyHistory = {
      ...(previous ?? { customerId: event.customerId, answers: [] }),
      position: event.position,
      consents: withConsentChange(previous?.consents, event),
    };
    if (event.type !== 'SurveyAnswered') return doc;
    const answer = {
      eventId: event.eventId,
      kind: event.data.kind,
      score: event.data.score,
      at: event.occurredAt,
      ...(event.undated && { undated: true as const }),
    };
    return { ...doc, answers: [...doc.answers, answer] };
  },
};
