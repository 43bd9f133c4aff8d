import { createHash } from 'node:crypto';
import { PROJECTIONS } from '../../projections/catalog';
import { Role } from '../../src/config/api-keys';
import { EVENT_STORE, EventStore } from '../../src/ports/event-store.port';
import { aRegistration } from '../fixtures/touchpoints';
import { aNewEvent } from '../support/events';
import { LedgerTestApp } from '../support/ledger-app';

const keyOf = (role: Role) => `parked-events-key-for-the-${role}-role`;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const as = (role: Role) => ({ authorization: `Bearer ${keyOf(role)}` });
const apiKeys = (['admin', 'rep'] as const).map((role) => ({
  principal: `${role}-person`,
  roles: [role],
  keySha256: sha256(keyOf(role)),
}));

describe('parked events over HTTP: GET /v1/projections, POST /v1/projections/parked/retry', () => {
  let ledger: LedgerTestApp;
  let malformedPosition: number;

  beforeAll(async () => {
    ledger = await LedgerTestApp.start({ apiKeys });
    await ledger.post('/v1/customers', aRegistration({ customerId: 'pk-1' }), as('rep'));
    // Written past the API, as a faulty importer or a hand edit would: a survey off its scale.
    const [appended] = await ledger.app.get<EventStore>(EVENT_STORE).append([
      {
        streamId: 'customer-pk-1',
        expectedRevision: 'any',
        events: [aNewEvent({ type: 'SurveyAnswered', data: { kind: 'csat', score: 0 } })],
      },
    ]);
    malformedPosition = appended!.events[0]!.position;
    await ledger.projected();
  });
  afterAll(async () => {
    await ledger.stop();
  });

  it('lists the parked event under every projection, with a count, and the log head', async () => {
    const response = await ledger.request('GET', '/v1/projections', undefined, as('admin'));

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ head: malformedPosition, parked: PROJECTIONS.length });
    expect(response.body.projections).toHaveLength(PROJECTIONS.length);
    for (const projection of response.body.projections) {
      expect(projection.parked).toEqual({
        count: 1,
        events: [
          expect.objectContaining({
            position: malformedPosition,
            type: 'SurveyAnswered',
            projection: projection.name,
            error: expect.stringContaining('data.score must be an integer from 1 to 5'),
          }),
        ],
      });
    }
  });

  it('retries for an admin only; what is still malformed stays parked', async () => {
    const refused = await ledger.request('POST', '/v1/projections/parked/retry', undefined, as('rep'));
    const retried = await ledger.request(
      'POST',
      '/v1/projections/parked/retry?projection=loyalty',
      undefined,
      as('admin'),
    );

    expect(refused.status).toBe(403);
    expect(retried.status).toBe(200);
    expect(retried.body.retried).toEqual([
      { projection: 'loyalty', retried: 1, folded: 0, stillParked: 1, newlyParked: 0 },
    ]);
    expect(retried.body.parked).toBe(PROJECTIONS.length);
  });

  it('answers 404 naming the field for a projection that does not exist, 400 for an unknown field', async () => {
    const unknownProjection = await ledger.request(
      'POST',
      '/v1/projections/parked/retry?projection=horoscope',
      undefined,
      as('admin'),
    );
    const unknownField = await ledger.request(
      'POST',
      '/v1/projections/parked/retry?projections=loyalty',
      undefined,
      as('admin'),
    );

    expect(unknownProjection.status).toBe(404);
    expect(unknownProjection.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(unknownProjection.body.errors).toEqual([
      { field: 'projection', message: 'no projection is named horoscope' },
    ]);
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.errors).toEqual([{ field: 'projections', message: 'is not a known field' }]);
  });

  it('answers 409 in an instance that does not fold: the projector retries', async () => {
    const idle = await LedgerTestApp.start({ runProjections: false });
    try {
      const response = await idle.request('POST', '/v1/projections/parked/retry');

      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({ type: '/problems/projections-not-folded-here' });
    } finally {
      await idle.stop();
    }
  });
});
