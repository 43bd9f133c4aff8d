import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';
import { SURVEY_SCALES, SurveyKind } from '../domain/customer-events';
import { isCurrencyCode, toMinorUnits } from '../domain/money';

function define(
  name: string,
  check: (value: unknown, args: ValidationArguments) => boolean,
  defaultMessage: (args: ValidationArguments) => string,
) {
  return (options?: ValidationOptions): PropertyDecorator =>
    (target, propertyName) =>
      registerDecorator({
        name,
        target: target.constructor,
        propertyName: propertyName as string,
        options,
        validator: { validate: check, defaultMessage },
      });
}

export const IsCurrencyCode = define(
  'isCurrencyCode',
  (value) => isCurrencyCode(value),
  (args) => `${args.property} must be an ISO 4217 currency code such as EUR`,
);

/** The amount has no more decimals than its sibling `currency` allows (EUR 2, JPY 0). */
export const FitsCurrency = define(
  'fitsCurrency',
  (value, args) => {
    const currency = (args.object as { currency?: unknown }).currency;
    return (
      !isCurrencyCode(currency) || (typeof value === 'number' && toMinorUnits(value, currency) !== undefined)
    );
  },
  (args) =>
    `${args.property} has more decimals than ${String((args.object as { currency?: unknown }).currency)} allows`,
);

/** The score lies on the scale of its sibling survey `kind` (nps 0-10, csat 1-5, ces 1-7). */
export const ScoreFitsKind = define(
  'scoreFitsKind',
  (value, args) => {
    const scale = SURVEY_SCALES[(args.object as { kind?: SurveyKind }).kind as SurveyKind];
    return !scale || (typeof value === 'number' && value >= scale.min && value <= scale.max);
  },
  (args) => {
    const kind = (args.object as { kind?: SurveyKind }).kind as SurveyKind;
    const scale = SURVEY_SCALES[kind];
    return `${args.property} must be from ${scale?.min} to ${scale?.max} for a ${kind} survey`;
  },
);

/** A timestamp no more than the allowed skew in the future is checked by the decider; this checks the form. */
export const IsIsoTimestamp = define(
  'isIsoTimestamp',
  (value) =>
    typeof value === 'string' &&
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(value) &&
    !Number.isNaN(Date.parse(value)),
  (args) => `${args.property} must be an ISO 8601 timestamp with a time zone, e.g. 2026-11-23T10:15:00Z`,
);

/** A flag that says the fact has no date of its own cannot come with one (`occurredAt`). */
export const WithoutOccurredAt = define(
  'withoutOccurredAt',
  (value, args) => value !== true || (args.object as { occurredAt?: unknown }).occurredAt === undefined,
  (args) => `${args.property} must not come with occurredAt: an undated fact is dated when recorded`,
);
