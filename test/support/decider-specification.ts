import { CustomerCommand, decide, evolve, initialCustomerState } from '../../src/domain/customer.decider';
import { CustomerEvent } from '../../src/domain/customer-events';
import { DomainError, DomainErrorKind } from '../../src/domain/domain-error';

/** given(history).when(command).then(events) / .thenRejects(kind, code, field?) for the customer decider. */
export function given(history: CustomerEvent[], now = new Date('2026-11-23T12:00:00Z'), customerId = 'c-1') {
  const state = history.reduce(evolve, initialCustomerState(customerId));
  return {
    when(command: CustomerCommand) {
      const run = () => decide(command, state, now);
      return {
        then(expected: CustomerEvent[]) {
          expect(run()).toEqual(expected);
        },
        thenRejects(kind: DomainErrorKind, code: string, field?: string) {
          let error: unknown;
          try {
            run();
          } catch (thrown) {
            error = thrown;
          }
          expect(error).toBeInstanceOf(DomainError);
          expect(error).toMatchObject({ kind, code, ...(field ? { field } : {}) });
        },
      };
    },
  };
}
