import { CustomerBasePredictions } from '../../src/application/predictions/customer-base-predictions';
import { PredictionModels } from '../../src/application/predictions/prediction-models';
import { Role } from '../../src/config/api-keys';
import { Pseudonyms } from '../../src/privacy/pseudonyms';
import { predictionShop } from '../fixtures/prediction-shop';
import { roleApiKeys } from '../support/api-keys';
import { LedgerTestApp } from '../support/ledger-app';

const keyOf = (role: Role) => `predictions-http-test-key-for-the-${role}-role`;
const as = (role: Role) => ({ authorization: `Bearer ${keyOf(role)}` });

const NOW = Date.now();
const { daysAgo } = predictionShop(NOW);

/**
 * Predictions where people see them, through the HTTP API, on the prediction shop (test/fixtures); c19
 * withdrew profiling consent yesterday. The stored models come from PredictionModels.refresh, what
 * `ledger predict refresh` runs.
 */
describe('predictions over HTTP', () => {
  let ledger: LedgerTestApp;
  let pseudonyms: Pseudonyms;
  const get = (url: string, role: Role) => ledger.request('GET', url, undefined, as(role));
  const post = (url: string, body: unknown) => ledger.post(url, body, as('ingest'));

  beforeAll(async () => {
    ledger = await LedgerTestApp.start({
      apiKeys: roleApiKeys(['analyst', 'ingest', 'rep'], keyOf),
    });
    pseudonyms = new Pseudonyms(ledger.config.masterKey);
    const { touchpoints, registrations } = predictionShop(NOW);
    expect((await post('/v1/touchpoints/batch', { touchpoints })).status).toBe(201);
    for (const registration of registrations) {
      expect((await post('/v1/customers', registration)).status).toBe(201);
    }
    const withdrawn = await post('/v1/customers/c19/consents', {
      purpose: 'profiling',
      granted: false,
      occurredAt: daysAgo(1),
    });
    expect(withdrawn.status).toBe(201);
    await ledger.projected();
  });
  afterAll(async () => {
    await ledger?.stop();
  });

  it('says why there is no prediction before the models are stored', async () => {
    const profile = await get('/v1/customers/c0', 'rep');
    expect(profile.status).toBe(200);
    expect(profile.body.predictions.reason).toMatch(/^no models fitted yet: `ledger predict refresh`/);
    const list = await get('/v1/analytics/predictions/customers', 'analyst');
    expect([list.status, list.headers['content-type']]).toEqual([
      404,
      expect.stringMatching(/problem\+json/),
    ]);
  });

  describe('with the stored models', () => {
    beforeAll(async () => {
      const thresholds = { minSupport: 0.05, minConfidence: 0.3, minLift: 1 };
      await ledger.app.get(PredictionModels).refresh(daysAgo(0), 'week', thresholds, new Date());
      // The shop's regular buyers make a fit whose parameters run to their bounds: seconds, more under load.
    }, 240_000);

    it("shows the rep the customer's outlook with its reasons, scored without fitting", async () => {
      const fit = jest.spyOn(ledger.app.get(CustomerBasePredictions), 'fit');
      const profile = await get('/v1/customers/c0', 'rep');
      expect(fit).not.toHaveBeenCalled();
      fit.mockRestore();

      const { predictions } = profile.body;
      expect(predictions.model).toBe('pareto-nbd');
      expect(predictions.pAlive.probability).toBeGreaterThan(0);
      expect(predictions.pAlive.probability).toBeLessThan(1);
      // c0: LIGHTS 362 days ago, then A 56 and 21 days ago: two gaps in 341 days.
      expect(predictions.pAlive.reason).toBe('bought every 24 weeks; last purchase 3 weeks ago');
      expect(predictions.expectedValue).toMatchObject({ currency: 'EUR' });
      expect(predictions.expectedValue.amount).toBeGreaterThan(0);
      expect(predictions.expectedValue.reason).toMatch(
        /^\d+\.\d purchases expected in the next year at about/,
      );
      expect(predictions.nextProducts.map((p: { sku: string; basis: string }) => [p.sku, p.basis])).toEqual([
        ['LIGHTS', 'season'],
        ['B', 'bought-together'],
      ]);
      expect(predictions.nextProducts[1].reason).toMatch(
        /^in 96 % of baskets with A, [\d.]+× chance; they bought A \(/,
      );
    });

    it('gives no prediction without profiling consent as of the instant, and says why', async () => {
      const profile = await get('/v1/customers/c19', 'rep');
      expect(profile.body.predictions).toEqual({
        asOf: expect.any(String),
        reason: `the customer withdrew consent to profiling on ${daysAgo(1)}: no prediction is made`,
        withheld: { purpose: 'profiling', since: daysAgo(1) },
      });
    });

    it('lists analysts the customers by value under pseudonyms, those at risk with maxPAlive', async () => {
      const all = await get('/v1/analytics/predictions/customers', 'analyst');
      expect(all.status).toBe(200);
      expect(all.body).toMatchObject({
        model: 'pareto-nbd',
        currency: 'EUR',
        customers: 79,
        leftOutWithoutConsent: { analytics: 0, profiling: 1 },
      });
      expect(JSON.stringify(all.body)).not.toMatch(/"c\d+"|example\.org/);
      const spends = all.body.predictions.map((p: { spend: number }) => p.spend);
      expect(spends).toEqual([...spends].sort((a, b) => b - a));
      const ids = all.body.predictions.map((p: { pseudonym: string }) => pseudonyms.resolve(p.pseudonym));
      expect(ids).not.toContain('c19');
      expect(new Set(ids).size).toBe(79);

      const pAlives = all.body.predictions
        .map((p: { pAlive: number }) => p.pAlive)
        .sort((a: number, b: number) => a - b);
      const median = pAlives[Math.floor(pAlives.length / 2)];
      const atRisk = await get(`/v1/analytics/predictions/customers?maxPAlive=${median}&limit=3`, 'analyst');
      expect(atRisk.body.customers).toBe(pAlives.filter((p: number) => p <= median).length);
      expect(atRisk.body.predictions).toHaveLength(3);
      expect(atRisk.body.predictions.every((p: { pAlive: number }) => p.pAlive <= median)).toBe(true);

      const bad = await get('/v1/analytics/predictions/customers?maxPAlive=2', 'analyst');
      expect([bad.status, bad.body.errors?.[0]?.field]).toEqual([400, 'maxPAlive']);
    });
  });

  it('answers analysts the association rules, filtered by the customers\u2019 country', async () => {
    const pairs = (body: { rules: { antecedent: string[]; consequent: string[] }[] }) =>
      body.rules.map((rule) => `${rule.antecedent.join('+')}=>${rule.consequent.join('+')}`).sort();
    const everywhere = await get('/v1/analytics/predictions/rules?minSupport=0.05', 'analyst');
    expect(everywhere.status).toBe(200);
    expect(pairs(everywhere.body)).toEqual(['A=>B', 'B=>A', 'C=>D', 'D=>C']);
    const gb = await get('/v1/analytics/predictions/rules?minSupport=0.05&country=GB', 'analyst');
    expect([gb.body.country, pairs(gb.body)]).toEqual(['GB', ['A=>B', 'B=>A']]);
    const fr = await get('/v1/analytics/predictions/rules?minSupport=0.05&country=FR', 'analyst');
    expect(pairs(fr.body)).toEqual(['C=>D', 'D=>C']);
    expect(fr.body.baskets).toBe(
      Array.from({ length: 8 }, (_, i) => 2 + ((i + 12) % 5)).reduce((sum, n) => sum + n, 0),
    );
    const inRange = await get(
      `/v1/analytics/predictions/rules?minSupport=0.05&country=GB&from=${daysAgo(25)}&to=${daysAgo(0)}`,
      'analyst',
    );
    // Within the last 25 days, in GB: the last purchase (21 days ago) of c0, c4 and c8.
    expect(inRange.body.baskets).toBe(3);
  });

  it('refuses bad rule questions with a field-level problem, and rules to other roles', async () => {
    for (const [query, field] of [
      ['country=Narnia', 'country'],
      ['minSupport=0', 'minSupport'],
      ['minConfidence=1.5', 'minConfidence'],
      ['from=yesterday', 'from'],
    ]) {
      const refused = await get(`/v1/analytics/predictions/rules?${query}`, 'analyst');
      expect([refused.status, refused.body.errors?.[0]?.field]).toEqual([400, field]);
    }
    const reversed = await get(
      `/v1/analytics/predictions/rules?from=${daysAgo(1)}&to=${daysAgo(2)}`,
      'analyst',
    );
    expect([reversed.status, reversed.body.errors?.[0]?.field]).toEqual([422, 'from']);
    expect((await get('/v1/analytics/predictions/rules', 'rep')).status).toBe(403);
  });
});
