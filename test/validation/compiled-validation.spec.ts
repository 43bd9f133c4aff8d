import 'reflect-metadata';
import { ClassConstructor } from 'class-transformer';
import { compiledValidatorOf } from '../../src/validation/compiled-validation';
import { validateAs, validateWithClassValidator } from '../../src/validation/request-validation';
import { TouchpointDto } from '../../src/application/customers/record-touchpoint/touchpoint.dto';
import { TOUCHPOINT_DATA } from '../../src/application/customers/record-touchpoint/touchpoint-data.dto';
import { RegisterCustomerDto } from '../../src/application/customers/register-customer/register-customer.dto';
import { ChangeContactDetailsDto } from '../../src/application/customers/change-contact-details/change-contact-details.dto';
import { RecordConsentDto } from '../../src/application/customers/record-consent/record-consent.dto';
import { RegisterSubscriptionDto } from '../../src/application/subscriptions/register-subscription.command';
import { ReplaySubscriptionDto } from '../../src/application/subscriptions/replay-subscription.command';
import { EraseCustomerParams } from '../../src/application/gdpr/erase-customer.command';
import { EmailLookupParams, VerifyParams } from '../../src/application/gdpr/personal-data.queries';
import { FunnelParams } from '../../src/application/analytics/analytics.queries';
import { TransitionParams } from '../../src/application/analytics/segments.queries';

/**
 * The compiled validators against class-validator, the reference, on a corpus of bodies built by mutating
 * valid ones at every field: each must accept exactly what class-validator accepts, and the answers
 * (problems, or the accepted value) must be the reference's.
 */

type Body = Record<string, unknown>;

const line = (sku: string, quantity: number, amount: number, currency = 'EUR') => ({
  sku,
  quantity,
  unitPrice: { amount, currency },
});

const recording = {
  eventId: '0190f1e4-7c4a-7b3e-9a51-3c2d1e0f9a8b',
  occurredAt: '2026-11-20T10:00:00.123Z',
  channel: 'web',
  correlationId: 'corr-1',
};

/** Valid data of every touchpoint type: every field set, and the fewest fields. */
const VALID_DATA: Record<keyof typeof TOUCHPOINT_DATA, Body[]> = {
  browse: [
    {
      url: 'https://shop.example/p/1?x=1',
      productId: 'p-1',
      productName: 'Trail shoe',
      price: { amount: 59.9, currency: 'EUR' },
      category: 'shoes',
      title: 'Trail shoes',
      referrer: 'https://search.example',
      campaign: 'winter',
      sessionId: 's-1',
    },
    { url: 'http://localhost:3000/p' },
    { productId: 'p-2' },
  ],
  commit: [
    {
      cartId: 'cart-1',
      orderId: 'A-1',
      items: [line('S-1', 2, 19.99)],
      value: { amount: 39.98, currency: 'EUR' },
    },
    { cartId: 'cart-2' },
    { orderId: 'A-2', items: [line('S-1', 1, 1000, 'JPY'), line('S-2', 3, 5, 'JPY')] },
  ],
  purchase: [
    {
      orderId: 'A-1',
      items: [line('S-1', 2, 19.99), line('S-2', 1, 0)],
      total: { amount: 39.98, currency: 'EUR' },
    },
    { orderId: 'A-2', total: { amount: 10, currency: 'GBP' } },
    { orderId: 'A-3', items: [line('S-1', 1, 0.5)] },
  ],
  refund: [
    { orderId: 'A-1', amount: { amount: 5.5, currency: 'EUR' }, reason: 'broken' },
    { orderId: 'A-2', amount: { amount: 0, currency: 'JPY' } },
  ],
  survey: [
    { surveyId: 'sv-1', kind: 'nps', score: 10, comment: 'great', orderId: 'A-1' },
    { kind: 'csat', score: 1 },
    { kind: 'ces', score: 7 },
  ],
  complaint: [
    { complaintId: 'cp-1', category: 'delivery', severity: 'high', description: 'late', orderId: 'A-1' },
    { complaintId: 'cp-2', severity: 'low' },
  ],
  'complaint-resolved': [
    { complaintId: 'cp-1', resolution: 'refunded', satisfied: true },
    { complaintId: 'cp-2' },
  ],
  contact: [
    { direction: 'inbound', topic: 'billing', note: 'called', durationSeconds: 86_400 },
    { direction: 'outbound', durationSeconds: 0 },
  ],
};

const VALID_BODIES: [ClassConstructor<object>, Body[]][] = [
  [
    RegisterCustomerDto,
    [
      {
        ...recording,
        customerId: 'c-1',
        name: 'Ada',
        email: 'ada@example.org',
        phone: '+44 20 7946 0958',
        country: 'GB',
        source: 'shop',
      },
      { customerId: 'c.2:x_y-z', name: 'B', email: 'b@example.org' },
    ],
  ],
  [
    ChangeContactDetailsDto,
    [
      { ...recording, name: 'Ada L', email: 'ada@example.org', phone: '+1 (555) 010-9999', reason: 'moved' },
      { email: 'ada@example.org', reason: 'bounce' },
    ],
  ],
  [RecordConsentDto, [{ ...recording, purpose: 'marketing', granted: true, legalBasis: 'consent' }]],
  [
    RegisterSubscriptionDto,
    [
      {
        name: 'mailer',
        url: 'https://hooks.example/ledger',
        eventTypes: ['PurchaseCompleted'],
        secret: 'a-secret-of-16-chars',
        format: 'cloudevents',
        includePersonalData: false,
        startFrom: 'beginning',
      },
      { name: 'crm', url: 'http://127.0.0.1:8080/in', eventTypes: 'all', startFrom: 12 },
    ],
  ],
  [ReplaySubscriptionDto, [{ fromPosition: 0 }, { fromPosition: 42 }]],
  [EraseCustomerParams, [{ requestId: 'dsr-1', reason: 'customer asked' }, {}]],
  [EmailLookupParams, [{ email: 'ada@example.org' }]],
  [VerifyParams, [{ customerId: 'c-1' }, {}]],
  [FunnelParams, [{ firstSeenFrom: '2026-01-01T00:00:00Z', firstSeenTo: '2026-12-31T23:59:59+01:00' }]],
  [TransitionParams, [{ from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' }]],
];

const lengths = [0, 1, 64, 65, 100, 101, 127, 128, 129, 200, 201, 256, 257, 500, 501, 2048, 2049, 5000, 5001];
const longStrings = [
  ...lengths.map((length) => 'x'.repeat(length)),
  // validator.js counts an astral character or a variation selector as no extra character; ajv would not.
  '\u{1F600}'.repeat(128),
  '\u{1F600}'.repeat(129),
  'a\uFE0F'.repeat(128),
  'a\uFE0F'.repeat(129),
  'x'.repeat(50_000),
  'x'.repeat(50_001),
];

/** Values put in place of every field: wrong types, edges of every range, near-misses of every format. */
const REPLACEMENTS: unknown[] = [
  null,
  true,
  false,
  -1,
  0,
  -0,
  0.5,
  1,
  1.005,
  5,
  7,
  10,
  11,
  86_400,
  86_401,
  1e21,
  Number.MAX_SAFE_INTEGER + 2,
  NaN,
  Infinity,
  '',
  ' ',
  'x',
  '1',
  'EUR',
  'JPY',
  'eur',
  'XXX',
  'nps',
  'csat',
  'ces',
  'inbound',
  'sideways',
  'low',
  'critical',
  'marketing',
  'https://shop.example/p/1',
  'http://localhost:3000/x',
  'ftp://files.example/x',
  'not a url',
  'javascript:alert(1)',
  'ada@example.org',
  'not-an-email',
  'ada@localhost',
  '+44 20 7946 0958',
  '12',
  '2026-11-20T10:00:00Z',
  '2026-11-20T10:00Z',
  '2026-11-20T10:00:00.123456789+02:00',
  '2026-11-20 10:00',
  '2026-02-30T10:00:00Z',
  '0190f1e4-7c4a-7b3e-9a51-3c2d1e0f9a8b',
  '0190F1E4-7C4A-7B3E-9A51-3C2D1E0F9A8B',
  'c2d1e0f9-7c4a-4b3e-9a51-3c2d1e0f9a8b',
  '0190f1e4-7c4a-7b3e-9a51-3c2d1e0f9a8',
  'GB',
  'gb',
  'XX',
  'web',
  'Web',
  'a'.repeat(33),
  '../etc/passwd',
  '-c',
  'now',
  'beginning',
  'all',
  'PurchaseCompleted',
  'ledger',
  'short',
  'a-secret-of-16-chars',
  ...longStrings,
  {},
  [],
  [{}],
  [1],
  [null],
  ['x'],
  { amount: 1, currency: 'EUR' },
  [{ amount: 1, currency: 'EUR' }],
  { amount: 1.5, currency: 'JPY' },
  { amount: -1, currency: 'EUR' },
  { amount: '1', currency: 'EUR' },
  { amount: 1 },
  { currency: 'EUR' },
  { amount: 1, currency: 'EUR', extra: 1 },
  [line('S', 1, 1)],
  [[line('S', 1, 1)]],
  [line('S', 0, 1)],
  [line('S', 1, 1, 'GBP'), line('T', 1, 1)],
];

/** Line items at the batch limit and one over it, tried where items go only: they are slow to check. */
const LONG_ITEM_LISTS = [1000, 1001].map((length) =>
  Array.from({ length }, (_, index) => line(`S-${index}`, 1, 1)),
);

/** Every path to a field or element of a value, the value itself first. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const children =
    Array.isArray(value) && value.length <= 3
      ? value.flatMap((element, index) => pathsOf(element, [...prefix, index]))
      : typeof value === 'object' && value !== null && !Array.isArray(value)
        ? Object.entries(value).flatMap(([key, child]) => pathsOf(child, [...prefix, key]))
        : [];
  return [prefix, ...children];
}

function withChange(
  body: Body,
  path: (string | number)[],
  change: (parent: Body, key: string | number) => void,
) {
  const copy = structuredClone(body);
  let parent: Body = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Body;
  change(parent, path[path.length - 1]!);
  return copy;
}

/** A field deleted, or an element taken out of its array (JSON arrays have no holes). */
function remove(parent: Body, key: string | number): void {
  if (Array.isArray(parent)) parent.splice(key as number, 1);
  else delete parent[key];
}

/** Every single mutation of a body: each field deleted, replaced, and an unknown field added to each object. */
function mutationsOf(body: Body): Body[] {
  const mutated: Body[] = [body];
  for (const path of pathsOf(body)) {
    if (path.length === 0) {
      mutated.push({ ...body, unknownField: 1 });
      continue;
    }
    mutated.push(withChange(body, path, remove));
    for (const replacement of REPLACEMENTS) {
      mutated.push(withChange(body, path, (parent, key) => (parent[key] = structuredClone(replacement))));
    }
    mutated.push(
      withChange(body, path, (parent, key) => {
        const value = parent[key];
        if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
          (value as Body).unknownField = 'x';
        }
      }),
    );
  }
  return mutated;
}

/** Deterministic pairs of mutations, for rules that tie two fields together (url or productId, currencies). */
function pairsOf(body: Body, count: number): Body[] {
  const paths = pathsOf(body).filter((path) => path.length > 0);
  if (paths.length === 0) return [];
  let seed = 12;
  const next = (below: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed % below;
  };
  return Array.from({ length: count }, () => {
    const [first, second] = [paths[next(paths.length)]!, paths[next(paths.length)]!];
    const changed = withChange(body, first, (parent, key) =>
      next(3) === 0
        ? remove(parent, key)
        : (parent[key] = structuredClone(REPLACEMENTS[next(REPLACEMENTS.length)])),
    );
    try {
      return withChange(changed, second, (parent, key) =>
        next(3) === 0
          ? remove(parent, key)
          : (parent[key] = structuredClone(REPLACEMENTS[next(REPLACEMENTS.length)])),
      );
    } catch {
      return changed; // the first change removed the second path
    }
  });
}

/** JSON with keys sorted: a DTO instance and the plain body it came from compare equal. */
function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_, each: unknown) =>
    typeof each === 'object' && each !== null && !Array.isArray(each)
      ? Object.fromEntries(Object.entries(each).sort(([a], [b]) => a.localeCompare(b)))
      : each,
  );
}

interface Tally {
  accepted: number;
  rejected: number;
  disagreements: { type: string; body: string; compiled: boolean; reference: string[] }[];
}

/**
 * One body through both: the verdicts must match, and an accepted body must come out of `validateAs` as the
 * value class-validator makes of it. A refused one `validateAs` hands to class-validator itself (the test
 * of refused bodies shows it), so its problems are the reference's.
 */
function compare(tally: Tally, type: ClassConstructor<object>, body: unknown, path = ''): boolean {
  const reference = validateWithClassValidator(type, body, path);
  const compiled = compiledValidatorOf(type)!(body);
  const referenceAccepts = reference.problems.length === 0;
  if (referenceAccepts) tally.accepted++;
  else tally.rejected++;
  const answered = compiled ? validateAs(type, body, path) : undefined;
  const sameValue =
    !answered ||
    (answered.problems.length === 0 && sortedJson(answered.value) === sortedJson(reference.value));
  if (compiled !== referenceAccepts || !sameValue) {
    tally.disagreements.push({
      type: type.name,
      body: JSON.stringify(body)?.slice(0, 300),
      compiled,
      reference: reference.problems.map((problem) => `${problem.field}: ${problem.message}`),
    });
  }
  return referenceAccepts;
}

describe('compiled validators agree with class-validator', () => {
  it('on touchpoints: the envelope, the data of each type, and what the data maps to', () => {
    const tally: Tally = { accepted: 0, rejected: 0, disagreements: [] };
    const types = Object.keys(VALID_DATA) as (keyof typeof TOUCHPOINT_DATA)[];
    for (const type of types) {
      for (const data of VALID_DATA[type]) {
        const touchpoint = { ...recording, customerId: 'c-1', type, data };
        const longItems = LONG_ITEM_LISTS.map((items) => ({ ...touchpoint, data: { ...data, items } }));
        const bodies = [...mutationsOf(touchpoint), ...pairsOf(touchpoint, 300), ...longItems];
        for (const [index, body] of bodies.entries()) {
          compare(tally, TouchpointDto, body, 'touchpoints[3].');
          const mutatedData = body.data;
          if (typeof mutatedData !== 'object' || mutatedData === null) continue;
          // Every tenth body's data is also checked against every other type's rules.
          for (const other of index % 10 === 0 ? types : [type]) {
            const spec = TOUCHPOINT_DATA[other];
            if (!compare(tally, spec.dto, mutatedData, 'touchpoints[3].data.')) continue;
            const { value } = validateWithClassValidator(spec.dto as ClassConstructor<object>, mutatedData);
            const toTouchpoint = spec.toTouchpoint as (data: object) => unknown;
            expect(toTouchpoint(mutatedData as object)).toEqual(toTouchpoint(value));
          }
        }
      }
    }

    expect(tally.disagreements).toEqual([]);
    expect(tally.accepted).toBeGreaterThan(5_000);
    expect(tally.rejected).toBeGreaterThan(40_000);
  });

  it.each(VALID_BODIES.map(([type, bodies]) => [type.name, type, bodies] as const))(
    'on %s bodies',
    (_, type, bodies) => {
      const tally: Tally = { accepted: 0, rejected: 0, disagreements: [] };
      for (const body of bodies) {
        for (const mutated of [...mutationsOf(body), ...pairsOf(body, 300)]) compare(tally, type, mutated);
      }
      for (const notAnObject of [null, 'x', 1, [], [bodies[0]]]) compare(tally, type, notAnObject);

      expect(tally.disagreements).toEqual([]);
      expect(tally.accepted).toBeGreaterThan(bodies.length);
      expect(tally.rejected).toBeGreaterThan(100);
    },
  );

  it("answers a refused body with class-validator's problems, field paths and messages", () => {
    const purchase = (data: Body) => ({ customerId: 'c-1', type: 'purchase', data });
    const refused: [ClassConstructor<object>, unknown, string][] = [
      [
        TouchpointDto,
        { ...purchase({}), sneaky: true, eventId: 'not-a-uuid', occurredAt: '2026-11-20 10:00' },
        '',
      ],
      [TouchpointDto, { customerId: '../etc/passwd', type: 'purchase', data: 'purchase' }, 'touchpoints[3].'],
      [TOUCHPOINT_DATA.purchase.dto, { orderId: 'A', items: [line('S', 0, -1)] }, 'touchpoints[3].data.'],
      [TOUCHPOINT_DATA.purchase.dto, { orderId: 'A', items: [line('S', 1, 1.001)], coupon: 'X' }, 'data.'],
      [TOUCHPOINT_DATA.survey.dto, { kind: 'nps', score: 11 }, 'touchpoints[1].data.'],
      [
        RegisterCustomerDto,
        { customerId: '-bad id-', name: 42, email: 'x', country: 'Narnia', nickname: 'x' },
        '',
      ],
      [RecordConsentDto, { purpose: 'spam', granted: 'yes' }, ''],
      [ChangeContactDetailsDto, { reason: 'nothing' }, ''],
    ];
    for (const [type, body, path] of refused) {
      expect(compiledValidatorOf(type)!(body)).toBe(false);
      expect(validateAs(type, body, path)).toEqual(validateWithClassValidator(type, body, path));
    }
    expect(validateAs(TOUCHPOINT_DATA.purchase.dto, refused[2]![1], 'touchpoints[3].data.').problems).toEqual(
      [
        { field: 'touchpoints[3].data.items[0].quantity', message: 'quantity must not be less than 1' },
        { field: 'touchpoints[3].data.items[0].unitPrice.amount', message: 'amount must not be less than 0' },
      ],
    );
  });

  it('compiles every body DTO: none is left to class-validator alone', () => {
    const types = [TouchpointDto, ...Object.values(TOUCHPOINT_DATA).map((spec) => spec.dto)];
    for (const type of [...types, ...VALID_BODIES.map(([each]) => each)]) {
      expect([type.name, compiledValidatorOf(type) !== undefined]).toEqual([type.name, true]);
    }
  });
});
