import {
  getMetadataStorage,
  registerDecorator,
  ValidationArguments,
  ValidationOptions,
  ValidationTypes,
} from 'class-validator';
import { ValidationMetadata } from 'class-validator/cjs/metadata/ValidationMetadata';
import { newCustomerIdProblem, SURVEY_SCALES, SurveyKind } from '../domain/customer-events';
import { amountProblem, isCurrencyCode } from '../domain/money';
import { EARLIEST_YEAR, parseIsoTimestamp } from './iso-timestamp';

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

/** The amount has no more decimals than its sibling `currency` allows (EUR 2, JPY 0), and fits a number. */
export const FitsCurrency = define(
  'fitsCurrency',
  (value, args) => {
    const currency = (args.object as { currency?: unknown }).currency;
    return (
      !isCurrencyCode(currency) || (typeof value === 'number' && amountProblem(value, currency) === undefined)
    );
  },
  (args) => {
    const currency = String((args.object as { currency?: unknown }).currency);
    return `${args.property} ${amountProblem(args.value as number, currency) ?? `does not fit ${currency}`}`;
  },
);

/** An id that may name a new customer record (see newCustomerIdProblem): never personal data. */
export const IsNewCustomerId = define(
  'isNewCustomerId',
  (value) => typeof value === 'string' && newCustomerIdProblem(value) === undefined,
  (args) =>
    `${args.property} ${typeof args.value === 'string' ? newCustomerIdProblem(args.value) : 'must be a string'}`,
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
  (value) => parseIsoTimestamp(value, { compactOffset: false }) !== undefined,
  (args) =>
    `${args.property} must be an ISO 8601 timestamp with a time zone, e.g. 2026-11-23T10:15:00Z, on a day the calendar has, in or after ${EARLIEST_YEAR}`,
);

/** The name of the IsOmittable condition, by which the compiled validators know it. */
export const IS_OMITTABLE = 'isOmittable';

/**
 * The field may be left out; when present it is checked, `null` included. class-validator's `@IsOptional`
 * skips `null` too, which let `"country": null` through to be stored where the event catalog has a string:
 * a field the ledger stores is absent or valid, never null.
 */
export function IsOmittable(): PropertyDecorator {
  return (target, propertyName) =>
    getMetadataStorage().addValidationMetadata(
      new ValidationMetadata({
        type: ValidationTypes.CONDITIONAL_VALIDATION,
        name: IS_OMITTABLE,
        target: target.constructor,
        propertyName: propertyName as string,
        constraints: [(object: Record<string, unknown>) => object[propertyName as string] !== undefined],
      }),
    );
}

/** A flag that says the fact has no date of its own cannot come with one (`occurredAt`). */
export const WithoutOccurredAt = define(
  'withoutOccurredAt',
  (value, args) => value !== true || (args.object as { occurredAt?: unknown }).occurredAt === undefined,
  (args) => `${args.property} must not come with occurredAt: an undated fact is dated when recorded`,
);
