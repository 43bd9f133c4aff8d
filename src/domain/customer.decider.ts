import { DomainError } from './domain-error';
import { assertNever, unchangedBy } from './exhaustive';
import {
  ConsentPurpose,
  ContactDetailsChanged,
  CustomerEvent,
  CustomerRegistered,
  EventTracked,
  isAnonymousCustomerId,
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
  | { kind: 'EraseCustomer'; requestId: string; reason: string }
  /** Sent to the survivor of a merge, together with MergeInto to the duplicate. */
  | { kind: 'AbsorbDuplicate'; duplicateId: string }
  | { kind: 'MergeInto'; survivorId: string }
  | { kind: 'RecordTrackedEvent'; data: EventTracked['data'] };

export function isMergeCommand(command: CustomerCommandBody): boolean {
  return command.kind === 'AbsorbDuplicate' || command.kind === 'MergeInto';
}

/** An imperative request about one customer, with the instant the client says it happened. */
export type CustomerCommand = CustomerCommandBody & { occurredAt: Date };

export interface CustomerState {
  readonly customerId: string;
  readonly registered: boolean;
  readonly erased: boolean;
  readonly filedComplaints: ReadonlySet<string>;
  readonly openComplaints: ReadonlySet<string>;
  /** The customer this record was merged into: it takes no more commands of its own. */
  readonly mergedInto?: string;
  /** The records merged into this one, in merge order. */
  readonly absorbed: readonly string[];
}

export function initialCustomerState(customerId: string): CustomerState {
  return {
    customerId,
    registered: false,
    erased: false,
    filedComplaints: new Set(),
    openComplaints: new Set(),
    absorbed: [],
  };
}

/**
 * A survivor's state with what its absorbed records bring: their complaints can be resolved through the
 * survivor. `absorbed` are the states of the records merged into it.
 */
export function withAbsorbed(survivor: CustomerState, absorbed: readonly CustomerState[]): CustomerState {
  if (absorbed.length === 0) return survivor;
  const union = (pick: (state: CustomerState) => ReadonlySet<string>) =>
    new Set([survivor, ...absorbed].flatMap((state) => [...pick(state)]));
  return {
    ...survivor,
    filedComplaints: union((state) => state.filedComplaints),
    openComplaints: union((state) => state.openComplaints),
  };
}

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
  if (state.mergedInto !== undefined) {
    throw new DomainError(
      'conflict',
      'customer-merged',
      `customer ${state.customerId} was merged into ${state.mergedInto}`,
      command.kind === 'MergeInto' ? 'duplicateId' : 'customerId',
    );
  }
  switch (command.kind) {
    case 'RegisterCustomer':
      if (isAnonymousCustomerId(state.customerId)) {
        throw new DomainError(
          'invalid',
          'anonymous-id-reserved',
          'ids starting with "anonymous:" are anonymous visitors: identify the visitor by merging it into a customer',
          'customerId',
        );
      }
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
    case 'AbsorbDuplicate':
      checkSurvivor(command.duplicateId, state);
      break;
    case 'MergeInto':
      checkDuplicate(command.survivorId, state);
      break;
    case 'RecordConsent':
    case 'EraseCustomer':
    case 'RecordTrackedEvent':
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
    case 'AbsorbDuplicate':
      return { type: 'CustomerMerged', data: { duplicateId: command.duplicateId } };
    case 'MergeInto':
      return { type: 'CustomerMergedInto', data: { survivorId: command.survivorId } };
    case 'RecordTrackedEvent':
      return { type: 'EventTracked', data: command.data };
    default:
      return assertNever(command);
  }
}

/** A merge keeps a registered customer: the record the duplicate's history joins. */
function checkSurvivor(duplicateId: string, state: CustomerState): void {
  if (duplicateId === state.customerId) {
    throw new DomainError(
      'invalid',
      'merge-into-itself',
      'a customer cannot be merged into itself',
      'duplicateId',
    );
  }
  if (!state.registered) {
    throw new DomainError(
      'not-found',
      'customer-not-registered',
      'only a registered customer can absorb another record',
      'customerId',
    );
  }
}

/** The duplicate is a registered customer or an anonymous visitor (whose profile may still be empty). */
function checkDuplicate(survivorId: string, state: CustomerState): void {
  if (!state.registered && !isAnonymousCustomerId(state.customerId)) {
    throw new DomainError(
      'not-found',
      'unknown-customer',
      `customer ${state.customerId} is not registered`,
      'duplicateId',
    );
  }
  if (survivorId === state.customerId) {
    throw new DomainError(
      'invalid',
      'merge-into-itself',
      'a customer cannot be merged into itself',
      'duplicateId',
    );
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
    case 'CustomerMerged':
      return { ...state, absorbed: [...state.absorbed, known.data.duplicateId] };
    case 'CustomerMergedInto':
      return { ...state, mergedInto: known.data.survivorId };
    case 'ContactDetailsChanged':
    case 'ConsentGranted':
    case 'ConsentWithdrawn':
    case 'ProductBrowsed':
    case 'PurchaseCommitted':
    case 'PurchaseCompleted':
    case 'PurchaseRefunded':
    case 'SurveyAnswered':
    case 'CustomerContacted':
    case 'EventTracked':
      // Every other fact leaves what the decider needs as it was.
      return state;
    default:
      return unchangedBy(known, state);
  }
}
