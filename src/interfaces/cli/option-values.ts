import { Command, Option } from 'commander';
import { DEFAULT_RULE_THRESHOLDS } from '../../application/predictions/product-associations';
import { TIME_UNITS } from '../../domain/predictions/purchase-summary';

/** A comma-separated option as a list. */
export const list = (value: string) => value.split(',').filter(Boolean);

/** An ISO instant option, or the program stops with the option's name. */
export function instantOption(program: Command, name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) program.error(`--${name} must be an ISO 8601 instant`);
  return at;
}

/** A non-negative number option, or the program stops with the option's name. */
export function numberOption(
  program: Command,
  name: string,
  value: string | undefined,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0) program.error(`--${name} must be a non-negative number`);
  return number;
}

/** The unit of time of the customer-base models. */
export const timeUnitOption = () =>
  new Option('--time-unit <unit>', 'the unit of time of the models').choices(TIME_UNITS).default('week');

/** The association rules' thresholds from the options (the defaults are DEFAULT_RULE_THRESHOLDS). */
export function ruleThresholds(
  program: Command,
  options: { minSupport?: string; minConfidence?: string; minLift?: string },
) {
  return {
    minSupport: numberOption(program, 'min-support', options.minSupport, DEFAULT_RULE_THRESHOLDS.minSupport),
    minConfidence: numberOption(
      program,
      'min-confidence',
      options.minConfidence,
      DEFAULT_RULE_THRESHOLDS.minConfidence,
    ),
    minLift: numberOption(program, 'min-lift', options.minLift, DEFAULT_RULE_THRESHOLDS.minLift),
  };
}

/** The options of the association rules' thresholds, their defaults written in the help. */
export function withRuleThresholdOptions(command: Command): Command {
  return command
    .option(
      '--min-support <share>',
      'smallest share of baskets holding a rule',
      `${DEFAULT_RULE_THRESHOLDS.minSupport}`,
    )
    .option('--min-confidence <share>', 'smallest confidence', `${DEFAULT_RULE_THRESHOLDS.minConfidence}`)
    .option('--min-lift <lift>', 'smallest lift', `${DEFAULT_RULE_THRESHOLDS.minLift}`);
}
