import { RecordedEvent } from '../../ports/event-store.port';
import { cloudEvent, ledgerEnvelope, OutboundEvent, payloadOf } from './delivery-payload';

const stored: RecordedEvent = {
  eventId: '0190b2a4-0000-7000-8000-000000000007',
  type: 'SurveyAnswered',
  schemaVersion: 1,
  data: { kind: 'nps', score: 9, comment: 'enc:v1:AAAA' },
  metadata: {
    occurredAt: '2026-11-20T10:00:00.000Z',
    recordedAt: '2026-11-20T10:00:01.000Z',
    actor: 'rep-person',
    channel: 'phone',
    correlationId: 'call-1',
    causationId: 'req-1',
  },
  streamId: 'customer-c-7',
  streamRevision: 4,
  position: 3_000_000_000,
  prevHash: 'a'.repeat(64),
  hash: 'b'.repeat(64),
};
const outbound: OutboundEvent = {
  event: stored,
  customerId: 'c-7',
  data: { kind: 'nps', score: 9 },
  omittedFields: ['comment'],
};

describe('delivery payloads', () => {
  it('ledger: the envelope and the data as delivered, without the actor, hashes or ciphertext', () => {
    expect(ledgerEnvelope(outbound)).toEqual({
      eventId: stored.eventId,
      type: 'SurveyAnswered',
      schemaVersion: 1,
      customerId: 'c-7',
      streamId: 'customer-c-7',
      streamRevision: 4,
      position: 3_000_000_000,
      occurredAt: '2026-11-20T10:00:00.000Z',
      recordedAt: '2026-11-20T10:00:01.000Z',
      channel: 'phone',
      correlationId: 'call-1',
      causationId: 'req-1',
      data: { kind: 'nps', score: 9 },
      omittedFields: ['comment'],
    });
  });

  it('cloudevents: the required attributes, the envelope as lower-case extensions, a position beyond 2^31 as a string', () => {
    expect(cloudEvent(outbound)).toEqual({
      specversion: '1.0',
      id: stored.eventId,
      source: '/ledger/customers',
      type: 'ledger.customer.SurveyAnswered',
      subject: 'c-7',
      time: '2026-11-20T10:00:00.000Z',
      datacontenttype: 'application/json',
      data: { kind: 'nps', score: 9 },
      position: '3000000000',
      streamrevision: 4,
      schemaversion: 1,
      recordedat: '2026-11-20T10:00:01.000Z',
      channel: 'phone',
      correlationid: 'call-1',
      omittedfields: 'comment',
    });
    for (const name of Object.keys(cloudEvent(outbound))) expect(name).toMatch(/^[a-z0-9]{1,20}$/);
  });

  it('marks an event whose data retention removed', () => {
    const redacted = {
      ...outbound,
      event: { ...stored, redactedAt: '2027-01-01T00:00:00.000Z' },
      data: {},
      omittedFields: [],
    };
    expect(ledgerEnvelope(redacted)).toMatchObject({ data: {}, redacted: true });
    expect(ledgerEnvelope(redacted)).not.toHaveProperty('omittedFields');
    expect(cloudEvent(redacted)).toMatchObject({ data: {}, redacted: true });
  });

  it('sends the same bytes every time for the same event, so duplicates can be compared', () => {
    expect(payloadOf('ledger', outbound)).toEqual(payloadOf('ledger', outbound));
    expect(payloadOf('ledger', outbound).contentType).toBe('application/json');
    expect(payloadOf('cloudevents', outbound).contentType).toBe(
      'application/cloudevents+json; charset=utf-8',
    );
    expect(JSON.parse(payloadOf('cloudevents', outbound).body)).toEqual(cloudEvent(outbound));
  });
});
