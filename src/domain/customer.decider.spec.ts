import { given } from '../../test/support/decider-specification';
import { CustomerCommand, evolve, initialCustomerState } from './customer.decider';
import { CustomerEvent } from './customer-events';

const at = new Date('2026-11-20T10:00:00Z');
const registered: CustomerEvent = {
  type: 'CustomerRegistered',
  data: { name: 'Ada Lovelace', email: 'ada@example.org' },
};
const complaintFiled: CustomerEvent = {
  type: 'ComplaintFiled',
  data: { complaintId: 'K-1', severity: 'high' },
};
const complaintResolved: CustomerEvent = {
  type: 'ComplaintResolved',
  data: { complaintId: 'K-1', satisfied: true },
};
const erased: CustomerEvent = {
  type: 'CustomerErased',
  data: { requestId: 'R-1', reason: 'Art. 17 request' },
};

const touchpoint = (
  touchpoint: Extract<CustomerCommand, { kind: 'RecordTouchpoint' }>['touchpoint'],
): CustomerCommand => ({
  kind: 'RecordTouchpoint',
  occurredAt: at,
  touchpoint,
});

describe('customer decider', () => {
  describe('registration and contact details', () => {
    it('registers a new customer', () => {
      given([])
        .when({ kind: 'RegisterCustomer', occurredAt: at, data: registered.data as never })
        .then([registered]);
    });

    it('refuses a second registration', () => {
      given([registered])
        .when({ kind: 'RegisterCustomer', occurredAt: at, data: registered.data as never })
        .thenRejects('conflict', 'already-registered', 'customerId');
    });

    it('changes contact details of a registered customer only', () => {
      const change: CustomerCommand = {
        kind: 'ChangeContactDetails',
        occurredAt: at,
        data: { email: 'ada@new.example', reason: 'moved' },
      };
      given([registered])
        .when(change)
        .then([{ type: 'ContactDetailsChanged', data: change.data as never }]);
      given([]).when(change).thenRejects('not-found', 'customer-not-registered', 'customerId');
    });

    it('records consent granted and withdrawn', () => {
      given([])
        .when({
          kind: 'RecordConsent',
          occurredAt: at,
          purpose: 'marketing',
          granted: true,
          legalBasis: 'consent',
        })
        .then([{ type: 'ConsentGranted', data: { purpose: 'marketing', legalBasis: 'consent' } }]);
      given([])
        .when({ kind: 'RecordConsent', occurredAt: at, purpose: 'profiling', granted: false })
        .then([{ type: 'ConsentWithdrawn', data: { purpose: 'profiling', legalBasis: undefined } }]);
    });
  });

  describe('touchpoints', () => {
    it.each([
      ['browse', 'ProductBrowsed', { productId: 'p-1' }],
      ['commit', 'PurchaseCommitted', { cartId: 'cart-1' }],
      ['purchase', 'PurchaseCompleted', { orderId: 'A-1', total: { amountMinor: 1000, currency: 'EUR' } }],
      ['refund', 'PurchaseRefunded', { orderId: 'A-1', amount: { amountMinor: 500, currency: 'EUR' } }],
      ['survey', 'SurveyAnswered', { kind: 'nps', score: 10 }],
      ['contact', 'CustomerContacted', { direction: 'inbound', topic: 'delivery' }],
    ])('records %s as %s, for registered and unregistered customers alike', (type, eventType, data) => {
      const command = touchpoint({ type, data } as never);
      given([])
        .when(command)
        .then([{ type: eventType, data } as CustomerEvent]);
      given([registered])
        .when(command)
        .then([{ type: eventType, data } as CustomerEvent]);
    });

    it('files a complaint once per complaint id', () => {
      given([])
        .when(touchpoint({ type: 'complaint', data: complaintFiled.data as never }))
        .then([complaintFiled]);
      given([complaintFiled])
        .when(touchpoint({ type: 'complaint', data: complaintFiled.data as never }))
        .thenRejects('conflict', 'complaint-already-filed', 'data.complaintId');
    });

    it('resolves an open complaint', () => {
      given([complaintFiled])
        .when(touchpoint({ type: 'complaint-resolved', data: complaintResolved.data as never }))
        .then([complaintResolved]);
    });

    it('refuses to resolve a complaint twice', () => {
      given([complaintFiled, complaintResolved])
        .when(touchpoint({ type: 'complaint-resolved', data: complaintResolved.data as never }))
        .thenRejects('conflict', 'complaint-already-resolved', 'data.complaintId');
    });

    it('refuses to resolve a complaint that was never filed', () => {
      given([registered])
        .when(touchpoint({ type: 'complaint-resolved', data: { complaintId: 'K-9' } }))
        .thenRejects('not-found', 'complaint-not-filed', 'data.complaintId');
    });

    it('refuses a touchpoint more than 5 minutes in the future, accepts one within the skew', () => {
      const now = new Date('2026-11-23T12:00:00Z');
      const browse = (occurredAt: Date): CustomerCommand => ({
        kind: 'RecordTouchpoint',
        occurredAt,
        touchpoint: { type: 'browse', data: { product: { id: 'p' } } },
      });
      given([], now)
        .when(browse(new Date(now.getTime() + 5 * 60 * 1000 + 1)))
        .thenRejects('invalid', 'occurred-in-future', 'occurredAt');
      given([], now)
        .when(browse(new Date(now.getTime() + 4 * 60 * 1000)))
        .then([{ type: 'ProductBrowsed', data: { product: { id: 'p' } } }]);
    });
  });

  describe('erasure', () => {
    it('erases a customer', () => {
      given([registered])
        .when({ kind: 'EraseCustomer', occurredAt: at, requestId: 'R-1', reason: 'Art. 17 request' })
        .then([erased]);
    });

    it.each<[string, CustomerCommand]>([
      ['a registration', { kind: 'RegisterCustomer', occurredAt: at, data: registered.data as never }],
      [
        'a contact change',
        { kind: 'ChangeContactDetails', occurredAt: at, data: { name: 'New', reason: 'r' } },
      ],
      [
        'a survey with a comment',
        touchpoint({ type: 'survey', data: { kind: 'csat', score: 3, comment: 'hi' } }),
      ],
      [
        'a purchase',
        touchpoint({ type: 'purchase', data: { orderId: 'A', total: { amountMinor: 1, currency: 'EUR' } } }),
      ],
      ['a second erasure', { kind: 'EraseCustomer', occurredAt: at, requestId: 'R-2', reason: 'again' }],
    ])('refuses %s after erasure', (_, command) => {
      given([registered, erased]).when(command).thenRejects('gone', 'customer-erased');
    });
  });

  describe('merges', () => {
    const absorb = (duplicateId: string): CustomerCommand => ({
      kind: 'AbsorbDuplicate',
      occurredAt: at,
      duplicateId,
    });
    const mergeInto = (survivorId: string): CustomerCommand => ({
      kind: 'MergeInto',
      occurredAt: at,
      survivorId,
    });
    const mergedInto: CustomerEvent = { type: 'CustomerMergedInto', data: { survivorId: 'c-2' } };

    it('records each side of a merge', () => {
      given([registered])
        .when(absorb('c-9'))
        .then([{ type: 'CustomerMerged', data: { duplicateId: 'c-9' } }]);
      given([registered]).when(mergeInto('c-2')).then([mergedInto]);
    });

    it('merges an anonymous visitor, with or without history, but never registers one', () => {
      given([], undefined, 'anonymous:v-1')
        .when(mergeInto('c-2'))
        .then([{ type: 'CustomerMergedInto', data: { survivorId: 'c-2' } }]);
      given([], undefined, 'anonymous:v-1')
        .when({ kind: 'RegisterCustomer', occurredAt: at, data: registered.data as never })
        .thenRejects('invalid', 'anonymous-id-reserved', 'customerId');
    });

    it('refuses merging into itself, an unregistered survivor or duplicate, and anything once merged', () => {
      given([registered], undefined, 'c-1')
        .when(absorb('c-1'))
        .thenRejects('invalid', 'merge-into-itself', 'duplicateId');
      given([registered], undefined, 'c-1')
        .when(mergeInto('c-1'))
        .thenRejects('invalid', 'merge-into-itself', 'duplicateId');
      given([]).when(absorb('c-9')).thenRejects('not-found', 'customer-not-registered', 'customerId');
      given([]).when(mergeInto('c-2')).thenRejects('not-found', 'unknown-customer', 'duplicateId');
      given([registered, mergedInto])
        .when(mergeInto('c-3'))
        .thenRejects('conflict', 'customer-merged', 'duplicateId');
      given([registered, mergedInto])
        .when(absorb('c-3'))
        .thenRejects('conflict', 'customer-merged', 'customerId');
      given([registered, mergedInto])
        .when(touchpoint({ type: 'browse', data: {} as never }))
        .thenRejects('conflict', 'customer-merged');
      given([registered, erased]).when(absorb('c-3')).thenRejects('gone', 'customer-erased');
    });

    it('remembers what was merged into a record and where a record went', () => {
      const state = [
        registered,
        { type: 'CustomerMerged', data: { duplicateId: 'c-9' } } as CustomerEvent,
        mergedInto,
      ].reduce(evolve, initialCustomerState('c-1'));
      expect(state).toMatchObject({ absorbed: ['c-9'], mergedInto: 'c-2' });
    });
  });

  describe('evolve', () => {
    it('tracks registration, open complaints and erasure, and ignores what the decider does not need', () => {
      const history: CustomerEvent[] = [
        registered,
        complaintFiled,
        { type: 'ComplaintFiled', data: { complaintId: 'K-2', severity: 'low' } },
        complaintResolved,
        { type: 'ProductBrowsed', data: { product: { id: 'p' } } },
      ];
      const state = history.reduce(evolve, initialCustomerState('c-1'));
      expect(state.registered).toBe(true);
      expect([...state.filedComplaints]).toEqual(['K-1', 'K-2']);
      expect([...state.openComplaints]).toEqual(['K-2']);
      expect(evolve(state, erased).erased).toBe(true);
      expect(initialCustomerState('c-1').filedComplaints.size).toBe(0);
    });
  });
});
