import {
  CustomerEventType,
  EVENT_CATALOG,
  FieldRule,
  PII_FIELDS,
  schemaVersionOf,
  SURVEY_SCALES,
} from '../src/domain/customer-events';
import { copyOf, DEFAULT_DATA, EVENT_TYPES } from '../test/fixtures/projected-events';
import { toProjectedEvent } from './catalog';
import { assertWellFormed, findProblem, MalformedEventError, StoredEvent } from './event-guard';

/** A well-formed stored event of a type, as the ledger writes it; overrides replace envelope fields. */
function stored(
  type: string,
  data: Record<string, unknown> = copyOf(
    (DEFAULT_DATA as Record<string, Record<string, unknown>>)[type] ?? {},
  ),
  envelope: Partial<Record<keyof StoredEvent, unknown>> = {},
): StoredEvent {
  return {
    eventId: '0190c8a4-7e1a-7000-8000-000000000001',
    streamId: 'customer-c-ada',
    streamRevision: 3,
    position: 17,
    type,
    schemaVersion: schemaVersionOf(type),
    data,
    metadata: {
      occurredAt: '2026-11-20T10:00:00.000Z',
      recordedAt: '2026-11-20T10:00:01.000Z',
      actor: 'api-key:ingest-1',
      channel: 'web',
    },
    ...envelope,
  } as StoredEvent;
}

const withData = (type: CustomerEventType, changes: Record<string, unknown>) => {
  const data: Record<string, unknown> = { ...copyOf(DEFAULT_DATA[type]), ...changes };
  for (const [field, value] of Object.entries(changes)) if (value === undefined) delete data[field];
  return stored(type, data);
};

const withMetadata = (changes: Record<string, unknown>) => {
  const event = stored('ProductBrowsed');
  return { ...event, metadata: { ...event.metadata, ...changes } };
};

/** Values each kind of rule must refuse, with the path suffix the problem names under the field. */
function refusedValues(rule: FieldRule): [value: unknown, pathSuffix: string][] {
  switch (rule.kind) {
    case 'id':
      return [
        ['', ''],
        [42, ''],
      ];
    case 'text':
      return [
        [42, ''],
        [{ text: 'nested' }, ''],
      ];
    case 'personal-data':
      return [
        [42, ''],
        [null, ''],
        [{ ciphertext: 'enc:v1:AA==' }, ''],
      ];
    case 'one-of':
      return [
        ['not-one-of-them', ''],
        [rule.values[0]!.toUpperCase(), ''],
        [1, ''],
      ];
    case 'integer':
      return [
        [rule.min - 1, ''],
        [rule.max + 1, ''],
        [1.5, ''],
        ['60', ''],
      ];
    case 'score-on-scale-of':
      return [
        [11, ''],
        [-1, ''],
        [8.5, ''],
        ['9', ''],
      ];
    case 'boolean':
      return [
        ['yes', ''],
        [1, ''],
      ];
    case 'money':
      return [
        [12.5, ''],
        [{ amount: 12.5, currency: 'EUR' }, '.amountMinor'],
        [{ amountMinor: 1250.5, currency: 'EUR' }, '.amountMinor'],
        [{ amountMinor: '1250', currency: 'EUR' }, '.amountMinor'],
        [{ amountMinor: 1250, currency: 'eur' }, '.currency'],
        [{ amountMinor: 1250, currency: 'EURO' }, '.currency'],
        [{ amountMinor: 1250 }, '.currency'],
      ];
    case 'line-items':
      return [
        [{ sku: 'SKU-1' }, ''],
        [['SKU-1'], '[0]'],
        [[{ quantity: 1, unitPrice: { amountMinor: 100, currency: 'EUR' } }], '[0].sku'],
        [[{ sku: 'SKU-1', quantity: 0, unitPrice: { amountMinor: 100, currency: 'EUR' } }], '[0].quantity'],
        [[{ sku: 'SKU-1', quantity: 1.5, unitPrice: { amountMinor: 100, currency: 'EUR' } }], '[0].quantity'],
        [[{ sku: 'SKU-1', quantity: 1 }], '[0].unitPrice'],
        [
          [
            { sku: 'SKU-1', quantity: 1, unitPrice: { amountMinor: 100, currency: 'EUR' } },
            { sku: 'SKU-2', quantity: 1, unitPrice: { amountMinor: 1.5, currency: 'EUR' } },
          ],
          '[1].unitPrice.amountMinor',
        ],
      ];
    case 'object': {
      const firstRequired = Object.keys(rule.fields).find((field) => rule.fields[field]!.required);
      return [
        ['not an object', ''],
        [[{}], ''],
        ...(firstRequired ? [[{}, `.${firstRequired}`] as [unknown, string]] : []),
      ];
    }
  }
}

describe('event guard', () => {
  it.each(EVENT_TYPES)('accepts a %s as the ledger stores it', (type) => {
    expect(findProblem(stored(type))).toBeUndefined();
  });

  it('knows every event type of the catalog, and the personal data of each is what the catalog encrypts', () => {
    expect(Object.keys(EVENT_CATALOG).sort()).toEqual([...EVENT_TYPES].sort());
    expect(PII_FIELDS).toMatchObject({
      CustomerRegistered: ['name', 'email', 'phone'],
      ContactDetailsChanged: ['name', 'email', 'phone'],
      SurveyAnswered: ['comment'],
      ComplaintFiled: ['description'],
      ComplaintResolved: ['resolution'],
      CustomerContacted: ['note'],
      PurchaseCompleted: [],
    });
  });

  describe('envelope', () => {
    it.each<[string, StoredEvent, string]>([
      [
        'a stream that is not a customer stream',
        stored('ProductBrowsed', undefined, { streamId: 'access-c-ada' }),
        'streamId',
      ],
      [
        'a customer id the catalog does not allow',
        stored('ProductBrowsed', undefined, { streamId: 'customer- spaced' }),
        'streamId',
      ],
      ['an empty event id', stored('ProductBrowsed', undefined, { eventId: '' }), 'eventId'],
      ['an event type outside the catalog', stored('CustomerTeleported', {}), 'type'],
      ['a position of 0', stored('ProductBrowsed', undefined, { position: 0 }), 'position'],
      ['a fractional position', stored('ProductBrowsed', undefined, { position: 1.5 }), 'position'],
      ['a position in text', stored('ProductBrowsed', undefined, { position: '17' }), 'position'],
      [
        'a negative stream revision',
        stored('ProductBrowsed', undefined, { streamRevision: -1 }),
        'streamRevision',
      ],
      ['no metadata', stored('ProductBrowsed', undefined, { metadata: null }), 'metadata'],
      [
        'an occurredAt that is not an instant',
        withMetadata({ occurredAt: 'garbage' }),
        'metadata.occurredAt',
      ],
      [
        'an occurredAt without milliseconds',
        withMetadata({ occurredAt: '2026-11-20T10:00:00Z' }),
        'metadata.occurredAt',
      ],
      [
        'an occurredAt with an offset',
        withMetadata({ occurredAt: '2026-11-20T12:00:00.000+02:00' }),
        'metadata.occurredAt',
      ],
      [
        'an occurredAt as epoch milliseconds',
        withMetadata({ occurredAt: 1_795_000_000_000 }),
        'metadata.occurredAt',
      ],
      ['no recordedAt', withMetadata({ recordedAt: undefined }), 'metadata.recordedAt'],
      [
        'an impossible recordedAt',
        withMetadata({ recordedAt: '2026-02-30T10:00:00.000Z' }),
        'metadata.recordedAt',
      ],
      ...['2026-02-29', '2026-04-31', '2026-13-01', '2026-00-10', '1900-02-29'].map(
        (day): [string, StoredEvent, string] => [
          `a recordedAt on ${day}, a day the calendar lacks`,
          withMetadata({ recordedAt: `${day}T10:00:00.000Z` }),
          'metadata.recordedAt',
        ],
      ),
      [
        'a recordedAt at 24:00',
        withMetadata({ recordedAt: '2026-11-20T24:00:00.000Z' }),
        'metadata.recordedAt',
      ],
      ['no actor', withMetadata({ actor: undefined }), 'metadata.actor'],
      ['an actor that is not a string', withMetadata({ actor: 7 }), 'metadata.actor'],
      ['a channel that is not a string', withMetadata({ channel: 7 }), 'metadata.channel'],
      ['data that is a list', stored('ProductBrowsed', [] as unknown as Record<string, unknown>), 'data'],
      ['data that is null', stored('ProductBrowsed', null as unknown as Record<string, unknown>), 'data'],
    ])('refuses %s', (_, event, path) => {
      expect(findProblem(event)?.path).toBe(path);
    });

    it('accepts an event without a channel', () => {
      expect(findProblem(withMetadata({ channel: undefined }))).toBeUndefined();
    });

    it('accepts every instant as toISOString writes it, leap days and the ends of months included', () => {
      const instants = ['2024-02-29T23:59:59.999Z', '2000-02-29T00:00:00.000Z', '0001-01-31T00:00:00.000Z'];
      for (let day = 0; day < 3 * 366; day++) {
        instants.push(new Date(Date.UTC(2023, 0, 1) + day * 86_400_000 + day * 997).toISOString());
      }
      const refused = instants.filter((instant) => findProblem(withMetadata({ recordedAt: instant })));
      expect(refused).toEqual([]);
    });
  });

  describe('data', () => {
    const requiredFields = EVENT_TYPES.flatMap((type) =>
      Object.entries(EVENT_CATALOG[type].shape.fields)
        .filter(([, spec]) => spec.required)
        .map(([field]) => [type, field] as const),
    );
    it.each(requiredFields)('refuses a %s without %s', (type, field) => {
      expect(findProblem(withData(type, { [field]: undefined }))).toEqual({
        path: `data.${field}`,
        reason: 'is required',
      });
    });

    const refusals = EVENT_TYPES.flatMap((type) =>
      Object.entries(EVENT_CATALOG[type].shape.fields).flatMap(([field, spec]) =>
        refusedValues(spec.rule).map(
          ([value, suffix]) => [type, field, spec.rule.kind, JSON.stringify(value), value, suffix] as const,
        ),
      ),
    );
    it.each(refusals)('refuses a %s whose %s (%s) is %s', (type, field, _kind, _shown, value, suffix) => {
      // The default survey is an nps one: -1 and 11 lie off its 0-10 scale.
      expect(findProblem(withData(type, { [field]: value }))?.path).toBe(`data.${field}${suffix}`);
    });

    it.each(Object.entries(SURVEY_SCALES))('holds a %s score to its scale %o', (kind, { min, max }) => {
      const survey = (score: number) => withData('SurveyAnswered', { kind, score });
      expect(findProblem(survey(min))).toBeUndefined();
      expect(findProblem(survey(max))).toBeUndefined();
      expect(findProblem(survey(min - 1))?.path).toBe('data.score');
      expect(findProblem(survey(max + 1))?.path).toBe('data.score');
    });

    it('cannot place a score on the scale of an unknown survey kind', () => {
      expect(findProblem(withData('SurveyAnswered', { kind: 'stars', score: 4 }))?.path).toBe('data.kind');
    });

    it.each<[CustomerEventType, string[]]>([
      ['PurchaseCommitted', ['cartId', 'orderId']],
      ['ContactDetailsChanged', ['name', 'email', 'phone']],
    ])('refuses a %s with none of %j', (type, fields) => {
      const none = Object.fromEntries(fields.map((field) => [field, undefined]));
      expect(findProblem(withData(type, none))).toEqual({
        path: `data.${fields[0]}`,
        reason: `is required when none of ${fields.slice(1).join(', ')} is given`,
      });
      expect(findProblem(withData(type, { ...none, [fields[1]!]: 'x-1' }))).toBeUndefined();
    });

    it('refuses a ProductBrowsed that names neither a product nor a page url (a nested field of a group)', () => {
      expect(findProblem(withData('ProductBrowsed', { product: undefined }))).toEqual({
        path: 'data.product',
        reason: 'is required when none of page.url is given',
      });
      const onPage = (page: Record<string, unknown>) =>
        withData('ProductBrowsed', { product: undefined, page });
      expect(findProblem(onPage({ referrer: 'https://search.example/' }))?.path).toBe('data.product');
      expect(findProblem(onPage({ url: 'https://shop.example/sale' }))).toBeUndefined();
      expect(findProblem(onPage({ url: 'https://shop.example/sale', title: 7 }))?.path).toBe(
        'data.page.title',
      );
    });

    it('checks personal data only to be a string: ciphertext cannot be read, so its content is not judged', () => {
      const registered = withData('CustomerRegistered', {
        name: '',
        email: 'not an e-mail address',
        phone: 'x',
      });
      expect(findProblem(registered)).toBeUndefined();
    });

    it('allows fields it does not know: an older reader must not refuse what a newer writer added', () => {
      expect(findProblem(withData('PurchaseCompleted', { giftWrapped: true }))).toBeUndefined();
    });

    it('checks a redacted event by its envelope only, for the types retention may redact', () => {
      const redacted = (type: string) => stored(type, {}, { redactedAt: '2026-12-01T00:00:00.000Z' });
      expect(findProblem(redacted('ProductBrowsed'))).toBeUndefined();
      expect(findProblem(redacted('PurchaseCommitted'))).toBeUndefined();
      expect(findProblem(stored('ProductBrowsed', {}))?.path).toBe('data.product');
      expect(findProblem(redacted('PurchaseCompleted'))?.path).toBe('data.orderId');
    });
  });

  describe('MalformedEventError', () => {
    it('names the event, the field and the reason, never the value', () => {
      const event = withData('SurveyAnswered', { kind: 'secret-kind-value' });
      const error = catchError(() => assertWellFormed(event));
      expect(error).toBeInstanceOf(MalformedEventError);
      expect(error).toMatchObject({
        path: 'data.kind',
        reason: 'must be one of nps, csat, ces',
        event: { position: 17, eventId: event.eventId, type: 'SurveyAnswered' },
      });
      expect(error.message).toBe(
        'malformed SurveyAnswered event at position 17: data.kind must be one of nps, csat, ces',
      );
      expect(error.message).not.toContain('secret-kind-value');
    });

    it('is what toProjectedEvent throws, for every projection alike; other streams are no customer events', () => {
      const garbage = withMetadata({ occurredAt: 'garbage' });
      expect(catchError(() => toProjectedEvent(garbage))).toMatchObject({
        name: 'MalformedEventError',
        path: 'metadata.occurredAt',
      });
      expect(
        toProjectedEvent(stored('ProductBrowsed', undefined, { streamId: 'access-c-ada' })),
      ).toBeUndefined();
      expect(toProjectedEvent(stored('PurchaseCompleted'))).toMatchObject({
        type: 'PurchaseCompleted',
        customerId: 'c-ada',
        position: 17,
        occurredAt: '2026-11-20T10:00:00.000Z',
      });
    });
  });
});

function catchError(work: () => unknown): MalformedEventError {
  try {
    work();
  } catch (error) {
    return error as MalformedEventError;
  }
  throw new Error('expected an error');
}
