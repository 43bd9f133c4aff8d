import { DomainError } from './domain-error';
import {
  ConsentPurpose,
  ContactDetailsChanged,
  CustomerEvent,
  CustomerRegistered,
  TOUCHPOINT_EVENT_TYPES,
} from './customer-events';

/** How far in the future a client-supplied `occurredAt` may lie (clock skew allowance). */
export const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;

/** A touchpoint as the API names it, with the data of the event it records (TOUCHPOINT_EVENT_TYPES). */
export type TouchpointType = keyof typeof TOUCHPOINT_EVENT_TYPES;
export type Touchpoint = {
  [Type in TouchpointType]: {
    type: Type;
    data: Extract<CustomerEvent, { type: (typeof TOUCHPOINT_EVENT_TYPES)[Type] }>['data'];
  };
}[TouchpointType];
export const TOUCHPOINT_TYPES = Object.keys(TOUCHPOINT_EVENT_TYPES) as readonly TouchpointType[];

export type CustomerCommandBody =
  | { kind: 'RegisterCustomer'; data: CustomerRegistered['data'] }
  | { kind: 'ChangeContactDetails'; data: ContactDetailsChanged['data'] }
  | { kind: 'RecordConsent'; purpose: ConsentPurpose; granted: boolean; legalBasis?: string }
  | { kind: 'RecordTouchpoint'; touchpoint: Touchpoint }
  | { kind: 'EraseCustomer'; requestId: string; reason: string };

/** An imperative request about one customer, with the instant the client says it happened. */
export type CustomerCommand = CustomerCommandBody & { occurredAt: Date };

export interface CustomerState {
  readonly registered: boolean;
  readonly erased: boolean;
  readonly filedComplaints: ReadonlySet<string>;
  readonly openComplaints: ReadonlySet<string>;
}

export const initialCustomerState: CustomerState = {
  registered: false,
  erased: false,
  filedComplaints: new Set(),
  openComplaints: new Set(),
};

/** Decides which events a command produces given the customer's history, or throws a DomainError. */
export function decide(command: CustomerCommand, state: CustomerState, now: Date): CustomerEvent[] {
  if (command.occurredAt.getTime() > now.getTime() + MAX_FUTURE_SKEW_MS) {
    throw new DomainError(
      'invalid',
      'occurred-in-future',
      'occurredAt is more than 5 minutes in the future',
      'occurredAt',
    );
  }
  if (state.erased) {
    throw new DomainError('gone', 'customer-erased', 'this customer was erased and accepts no new data');
  }
  switch (command.kind) {
    case 'RegisterCustomer':
      if (state.registered) {
        throw new DomainError(
          'conflict',
          'already-registered',
          'this customer is already registered',
          'customerId',
        );
      }
      break;
    case 'ChangeContactDetails':
      if (!state.registered) {
        throw new DomainError(
          'not-found',
          'customer-not-registered',
          'this customer is not registered',
          'customerId',
        );
      }
      break;
    case 'RecordTouchpoint':
      checkTouchpoint(command.touchpoint, state);
      break;
    case 'RecordConsent':
    case 'EraseCustomer':
      break;
    default:
      return assertNever(command);
  }
  return [requestedEvent(command)];
}

/**
 * The event a command asks for, whatever the history: what `decide` records once the rules hold, and what a
 * retried event id is compared with.
 */
export function requestedEvent(command: CustomerCommandBody): CustomerEvent {
  switch (command.kind) {
    case 'RegisterCustomer':
      return { type: 'CustomerRegistered', data: command.data };
    case 'ChangeContactDetails':
      return { type: 'ContactDetailsChanged', data: command.data };
    case 'RecordConsent': {
      const data = { purpose: command.purpose, legalBasis: command.legalBasis };
      return command.granted ? { type: 'ConsentGranted', data } : { type: 'ConsentWithdrawn', data };
    }
    case 'RecordTouchpoint':
      return touchpointEvent(command.touchpoint);
    case 'EraseCustomer':
      return { type: 'CustomerErased', data: { requestId: command.requestId, reason: command.reason } };
    default:
      return assertNever(command);
  }
}

/** The rules a touchpoint must keep: a complaint id is filed once, and only an open complaint is resolved. */
function checkTouchpoint(touchpoint: Touchpoint, state: CustomerState): void {
  if (touchpoint.type === 'complaint' && state.filedComplaints.has(touchpoint.data.complaintId)) {
    throw new DomainError(
      'conflict',
      'complaint-already-filed',
      `complaint ${touchpoint.data.complaintId} was already filed`,
      'data.complaintId',
    );
  }
  if (touchpoint.type === 'complaint-resolved') {
    const { complaintId } = touchpoint.data;
    if (!state.filedComplaints.has(complaintId)) {
      throw new DomainError(
        'not-found',
        'complaint-not-filed',
        `no complaint ${complaintId} was filed for this customer`,
        'data.complaintId',
      );
    }
    if (!state.openComplaints.has(complaintId)) {
      throw new DomainError(
        'conflict',
        'complaint-already-resolved',
        `complaint ${complaintId} is already resolved`,
        'data.complaintId',
      );
    }
  }
}

function touchpointEvent(touchpoint: Touchpoint): CustomerEvent {
  return { type: TOUCHPOINT_EVENT_TYPES[touchpoint.type], data: touchpoint.data } as CustomerEvent;
}

/** Folds one stored event into the state the decider needs; personal data is never looked at. */
export function evolve(state: CustomerState, event: Pick<CustomerEvent, 'type' | 'data'>): CustomerState {
  const known = event as CustomerEvent;
  switch (known.type) {
    case 'CustomerRegistered':
      return { ...state, registered: true };
    case 'ComplaintFiled':
      return {
        ...state,
        filedComplaints: new Set(state.filedComplaints).add(known.data.complaintId),
        openComplaints: new Set(state.openComplaints).add(known.data.complaintId),
      };
    case 'ComplaintResolved': {
      const openComplaints = new Set(state.openComplaints);
      openComplaints.delete(known.data.complaintId);
      return { ...state, openComplaints };
    }
    case 'CustomerErased':
      return { ...state, erased: true };
    default:
      // Every other fact leaves what the decider needs as it was.
      return state;
  }
}

function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
