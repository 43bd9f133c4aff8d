import { ConsentPurpose } from '../src/domain/customer-events';
import { ALLOWED_WITHOUT_RECORDED_CHOICE } from '../src/domain/processing-purposes';
import { ProjectedEvent } from './projection';

/*
 * Where consent lives. One query answers whether a customer's consent allows a purpose at an instant:
 * ReadModels.consentGiven, over the consent history of the funnel read model (the one read model with a document
 * for every customer who has any event). Other documents keep a copy of the same history (withConsentChange,
 * folded from the same events) only where a pure function of that one document must leave customers out: the
 * population figures (rfm-population.figure.ts over purchase-history, funnel-cohort.figure.ts over funnel) are
 * kept up to date from the changed document alone, and the analyst's reports and the loyalty analytics scan a
 * whole read model, where a lookup per customer into another read model would turn one scan into as many reads
 * as customers. A new figure or scanning report over another read model adds `consents` to that document the
 * same way; a question about one customer asks the query.
 */

/** One recorded choice of the customer, by when it happened (occurredAt). */
export interface ConsentChange {
  readonly purpose: ConsentPurpose;
  readonly granted: boolean;
  readonly at: string;
}

/** Every consent choice of a customer, in the order of `at`, so any instant can be asked. */
export type ConsentHistory = readonly ConsentChange[];

/** The history with the event's choice added in time order; unchanged (absent while empty) for other events. */
export function withConsentChange(
  history: ConsentHistory | undefined,
  event: ProjectedEvent,
): ConsentHistory | undefined {
  if (event.type !== 'ConsentGranted' && event.type !== 'ConsentWithdrawn') return history;
  const current = history ?? [];
  const change = {
    purpose: event.data.purpose,
    granted: event.type === 'ConsentGranted',
    at: event.occurredAt,
  };
  return [...current, change].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

/** Whether processing for `purpose` was allowed at instant `at`: the latest choice at or before it decides. */
export function consentGiven(
  history: ConsentHistory | undefined,
  purpose: ConsentPurpose,
  at: string,
): boolean {
  let allowed = ALLOWED_WITHOUT_RECORDED_CHOICE;
  for (const change of history ?? []) {
    if (change.at > at) break;
    if (change.purpose === purpose) allowed = change.granted;
  }
  return allowed;
}

/**
 * Whether the customer's latest choice allows processing for `purpose`: what a figure kept up to date counts by
 * (a withdrawal takes the customer out of it from then on, as the report asked now leaves them out).
 */
export function latestConsentGiven(history: ConsentHistory | undefined, purpose: ConsentPurpose): boolean {
  return consentGiven(history, purpose, '9999-12-31T23:59:59.999Z');
}

/** When the withdrawal in force at `at` was made, if processing for `purpose` was not allowed then. */
export function withdrawnSince(
  history: ConsentHistory | undefined,
  purpose: ConsentPurpose,
  at: string,
): string | undefined {
  if (consentGiven(history, purpose, at)) return undefined;
  const choices = (history ?? []).filter((change) => change.purpose === purpose && change.at <= at);
  return choices[choices.length - 1]?.at;
}
