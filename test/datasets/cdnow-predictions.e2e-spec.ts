import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { CustomerLedger } from '../../src/application/customers/customer-ledger';
import { CustomerBasePredictions } from '../../src/application/predictions/customer-base-predictions';
import { Role } from '../../src/config/api-keys';
import { IMPORT_PRESETS } from '../../src/interfaces/cli/import-presets';
import { importTouchpoints } from '../../src/interfaces/cli/import-touchpoints';
import { LedgerTestApp } from '../support/ledger-app';

/**
 * The customer-base models against the published fits: the CDNOW sample (2,357 customers who first bought in
 * Q1 1997; Fader, Hardie & Lee 2005; data from the lifetimes repository, MIT) imported with its preset through
 * the import path, calibrated to 1997-09-30 in weeks. Ledger currency USD, CDNOW's.
 */
const CDNOW = join(__dirname, '..', '..', '..', 'shared', 'data', 'cdnow', 'CDNOW_sample.txt');
const CALIBRATION_END = '1997-09-30T00:00:00.000Z';
const keyOf = (role: Role) => `predictions-test-key-for-the-${role}-role`;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const as = (role: Role) => ({ authorization: `Bearer ${keyOf(role)}` });
const fixed = (digits: number, ...values: number[]) => values.map((value) => value.toFixed(digits));

describe('predictions on the CDNOW sample', () => {
  let ledger: LedgerTestApp;

  beforeAll(async () => {
    ledger = await LedgerTestApp.start({
      ledgerCurrency: 'USD',
      apiKeys: (['analyst', 'ingest', 'rep'] as const).map((role) => ({
        principal: `${role}-person`,
        roles: [role],
        keySha256: sha256(keyOf(role)),
      })),
    });
    const summary = await importTouchpoints({
      file: CDNOW,
      preset: IMPORT_PRESETS['cdnow-sample']!({ now: new Date().toISOString(), file: CDNOW }),
      ledger: ledger.app.get(CustomerLedger),
      actor: 'test:cdnow',
    });
    expect(summary).toMatchObject({ rows: 6919, accepted: 6919, rejected: 0 });
    // The first customer of the file (master id 00004) withdraws profiling in the calibration period.
    const withdrawn = await ledger.post(
      '/v1/customers/cdnow-00004/consents',
      { purpose: 'profiling', granted: false, occurredAt: '1997-06-01T00:00:00Z' },
      as('ingest'),
    );
    expect(withdrawn.status).toBe(201);
    await ledger.projected();
  }, 120_000);
  afterAll(async () => {
    await ledger?.stop();
  });

  it('reproduces the published BG/NBD, Pareto/NBD and Gamma-Gamma fits; no prediction without profiling consent', async () => {
    const predictions = ledger.app.get(CustomerBasePredictions);
    const fitted = await predictions.fit(CALIBRATION_END, 'week');
    const { bgNbd, paretoNbd, gammaGamma } = fitted.report;

    expect(fitted.report).toMatchObject({
      customers: 2357,
      currency: 'USD',
      leftOutWithoutConsent: { analytics: 0, profiling: 1 },
    });
    expect(fixed(3, bgNbd.r, bgNbd.alpha, bgNbd.a, bgNbd.b)).toEqual(['0.243', '4.414', '0.793', '2.426']);
    expect(fixed(1, bgNbd.logLikelihood)).toEqual(['-9582.4']);
    expect(fixed(3, paretoNbd.r, paretoNbd.alpha, paretoNbd.s, paretoNbd.beta)).toEqual([
      '0.553',
      '10.578',
      '0.606',
      '11.669',
    ]);
    expect(fixed(1, paretoNbd.logLikelihood)).toEqual(['-9595.0']);
    expect(fixed(2, gammaGamma.p, gammaGamma.q, gammaGamma.gamma)).toEqual(['6.25', '3.74', '15.44']);
    expect(gammaGamma.customers).toBe(946);

    const forecasts = [
      ...predictions.forecasts(fitted, { model: 'bg-nbd', horizon: 39, annualDiscountRate: 0 }),
    ];
    expect(forecasts).toHaveLength(2356);
    expect(forecasts.some(({ customerId }) => customerId === 'cdnow-00004')).toBe(false);
    const expected = forecasts.reduce((sum, { forecast }) => sum + forecast.expectedPurchases, 0);
    expect(expected).toBeGreaterThan(1500);
    expect(expected).toBeLessThan(1800);
  }, 60_000);

  it('backtests for analysts over HTTP, and refuses a holdout that ends before it starts', async () => {
    const url = (calibrationEnd: string, holdoutEnd: string) =>
      `/v1/analytics/predictions/backtest?calibrationEnd=${calibrationEnd}&holdoutEnd=${holdoutEnd}`;
    const report = await ledger.request(
      'GET',
      url(CALIBRATION_END, '1998-06-30T00:00:00Z'),
      undefined,
      as('analyst'),
    );

    expect(report.status).toBe(200);
    expect(report.body.fit).toMatchObject({ customers: 2357, timeUnit: 'week' });
    expect(report.body.backtest.purchases.actual).toBe(1882);
    expect(report.body.backtest.cumulative).toHaveLength(39);
    expect(
      report.body.backtest.byCalibrationFrequency.map((c: { frequency: string }) => c.frequency),
    ).toEqual(['0', '1', '2', '3', '4', '5', '6', '7+']);

    const backwards = await ledger.request(
      'GET',
      url('1998-06-30T00:00:00Z', CALIBRATION_END),
      undefined,
      as('analyst'),
    );
    expect(backwards.status).toBe(422);
    expect(backwards.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(JSON.stringify(backwards.body)).toContain('holdoutEnd');
    const missing = await ledger.request(
      'GET',
      '/v1/analytics/predictions/backtest?holdoutEnd=1998-06-30T00:00:00Z',
      undefined,
      as('analyst'),
    );
    expect(missing.status).toBe(400);
    expect(JSON.stringify(missing.body)).toContain('calibrationEnd');
    const rep = await ledger.request(
      'GET',
      url(CALIBRATION_END, '1998-06-30T00:00:00Z'),
      undefined,
      as('rep'),
    );
    expect(rep.status).toBe(403);
  }, 60_000);
});
