import { ClassConstructor, plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { compiledValidatorOf } from './compiled-validation';

export interface FieldProblem {
  readonly field: string;
  readonly message: string;
  /** The broken rule, where one of several domain rules is reported. */
  readonly code?: string;
}

/** A request whose body, path or query is invalid; lists every invalid field. */
export class RequestValidationError extends Error {
  constructor(readonly problems: FieldProblem[]) {
    super(problems.map((problem) => `${problem.field}: ${problem.message}`).join('; '));
    this.name = 'RequestValidationError';
  }
}

export const VALIDATOR_OPTIONS = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  stopAtFirstError: true,
  validationError: { target: false, value: false },
} as const;

/**
 * Turns a plain JSON value into a validated value of `type`, or returns the problems found, each with its
 * field path under `path` (e.g. `touchpoints[2].data.`). A body the compiled validator accepts is used as
 * it is; any other is judged and explained by class-validator, so the problems listed are class-validator's.
 */
export function validateAs<T extends object>(
  type: ClassConstructor<T>,
  plain: unknown,
  path = '',
): { value: T; problems: FieldProblem[] } {
  if (compiledValidatorOf(type)?.(plain)) return { value: plain as T, problems: [] };
  return validateWithClassValidator(type, plain, path);
}

/** The decorators' rules run by class-validator itself: the reference the compiled validators must match. */
export function validateWithClassValidator<T extends object>(
  type: ClassConstructor<T>,
  plain: unknown,
  path = '',
): { value: T; problems: FieldProblem[] } {
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) {
    return {
      value: undefined as unknown as T,
      problems: [{ field: path.replace(/\.$/, '') || 'body', message: 'must be a JSON object' }],
    };
  }
  const value = plainToInstance(type, plain, { enableImplicitConversion: false });
  return { value, problems: flatten(validateSync(value, VALIDATOR_OPTIONS), path) };
}

export function flatten(errors: ValidationError[], path = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = /^\d+$/.test(error.property)
      ? `${path.replace(/\.$/, '')}[${error.property}]`
      : path + error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({
      field,
      message: message.replace(/^property \S+ should not exist$/, 'is not a known field'),
    }));
    return [...own, ...flatten(error.children ?? [], `${field}.`)];
  });
}
