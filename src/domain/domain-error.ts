/**
 * What kind of rule a command broke, or `busy` when it could not be decided for concurrent writes; the HTTP
 * layer maps these to 404, 409, 410, 422 and 503.
 */
export type DomainErrorKind = 'not-found' | 'conflict' | 'gone' | 'invalid' | 'busy';

/** A command that the customer's history does not allow; `field` names the offending input. */
export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }

  /** The same error with its field placed under a path, e.g. `touchpoints[3].`. */
  under(pathPrefix: string): DomainError {
    return new DomainError(this.kind, this.code, this.message, pathPrefix + (this.field ?? ''));
  }
}

/** A customer of whom nothing is recorded. */
export function unknownCustomer(customerId: string): DomainError {
  return new DomainError(
    'not-found',
    'unknown-customer',
    `no events are recorded for customer ${customerId}`,
    'customerId',
  );
}

/** Several commands of one request broke rules: every one is reported, in request order; nothing was recorded. */
export class RejectedCommands extends Error {
  constructor(readonly errors: readonly DomainError[]) {
    super(errors.map((error) => `${error.field ?? 'request'}: ${error.message}`).join('; '));
    this.name = 'RejectedCommands';
  }
}
