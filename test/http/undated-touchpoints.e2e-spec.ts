import { LedgerTestApp } from '../support/ledger-app';
import { aTouchpoint } from '../fixtures/touchpoints';

describe('undated touchpoints (a source without dates, such as the garden-centre NPS export)', () => {
  let ledger: LedgerTestApp;
  beforeAll(async () => {
    ledger = await LedgerTestApp.start();
  });
  afterAll(() => ledger.stop());

  it('are dated when recorded, flagged in the metadata, and counted apart by the satisfaction figures', async () => {
    const before = new Date().toISOString();
    const survey = { kind: 'nps', score: 9 };
    const undated = await ledger.post('/v1/touchpoints', {
      ...aTouchpoint('nps-1', 'survey', survey, { occurredAt: undefined }),
      undated: true,
    });
    expect(undated.status).toBe(201);
    const dated = await ledger.post(
      '/v1/touchpoints',
      aTouchpoint('nps-2', 'survey', survey, { occurredAt: '2018-08-10T10:00:00Z' }),
    );
    expect(dated.status).toBe(201);
    await ledger.projected();

    const events = await ledger.get('/v1/customers/nps-1/events');
    expect(events.body.events[0].metadata).toMatchObject({ undated: true });
    expect(events.body.events[0].metadata.occurredAt >= before).toBe(true);
    const report = await ledger.get('/v1/analytics/satisfaction');
    expect(report.body.undatedAnswers).toBe(1);
    expect(report.body.months).toEqual([
      expect.objectContaining({ month: '2018-08', undatedAnswers: 0 }),
      expect.objectContaining({ month: before.slice(0, 7), undatedAnswers: 1 }),
    ]);
  });

  it('refuse a date beside the flag, and any value but true', async () => {
    const both = await ledger.post('/v1/touchpoints', {
      ...aTouchpoint('nps-3', 'survey', { kind: 'nps', score: 9 }),
      undated: true,
    });
    expect(both.status).toBe(400);
    expect(both.body.errors).toEqual([
      {
        field: 'undated',
        message: 'undated must not come with occurredAt: an undated fact is dated when recorded',
      },
    ]);
    const other = await ledger.post('/v1/touchpoints', {
      ...aTouchpoint('nps-3', 'survey', { kind: 'nps', score: 9 }, { occurredAt: undefined }),
      undated: 'yes',
    });
    expect(other.status).toBe(400);
    expect(other.body.errors).toEqual([{ field: 'undated', message: 'undated must be true when present' }]);
  });
});
