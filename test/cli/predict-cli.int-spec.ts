import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pseudonyms } from '../../src/privacy/pseudonyms';
import { runLedgerCli } from '../support/ledger-cli';

/**
 * `ledger predict` and `ledger predict backtest` as the analysts' contract, on the first 300 rows of the CDNOW
 * sample (its first customers, imported with the `cdnow-sample` preset): parameter names, NDJSON lines,
 * pseudonyms, ids only when asked. The published figures are held by test/datasets/cdnow-predictions.
 */
describe('ledger predict', () => {
  const directory = mkdtempSync(join(tmpdir(), 'ledger-predict-cli-'));
  const masterKey = randomBytes(32);
  const env = {
    DATA_DIR: join(directory, 'data'),
    LEDGER_MASTER_KEY: masterKey.toString('base64'),
    LEDGER_CURRENCY: 'USD',
  };
  const pseudonyms = new Pseudonyms(masterKey);
  const sample = readFileSync(join(__dirname, '../../../shared/data/cdnow/CDNOW_sample.txt'), 'utf8')
    .split('\n')
    .slice(0, 300);
  const customerIds = [...new Set(sample.map((line) => `cdnow-${line.trim().split(/\s+/)[0]}`))];
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  beforeAll(async () => {
    const file = join(directory, 'cdnow-head.txt');
    writeFileSync(file, `${sample.join('\n')}\n`);
    const imported = await runLedgerCli(env, ['import', '--preset', 'cdnow-sample', file]);
    expect(imported.code).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ rows: 300, accepted: 300 });
  }, 120_000);

  it('prints the fit, then one pseudonymous line per customer', async () => {
    const run = await runLedgerCli(env, [
      'predict',
      '--as-of',
      '1997-09-30',
      '--customers',
      '--horizon',
      '39',
    ]);
    const [fit, ...customers] = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));

    expect(run.code).toBe(0);
    expect(fit).toMatchObject({ asOf: '1997-09-30T00:00:00.000Z', timeUnit: 'week', horizon: 39 });
    expect(fit.customers).toBe(customerIds.length);
    expect(Object.keys(fit.bgNbd)).toEqual([
      'r',
      'alpha',
      'a',
      'b',
      'logLikelihood',
      'customers',
      'converged',
    ]);
    expect(Object.keys(fit.paretoNbd)).toEqual([
      'r',
      'alpha',
      's',
      'beta',
      'logLikelihood',
      'customers',
      'converged',
    ]);
    expect(Object.keys(fit.gammaGamma)).toEqual([
      'p',
      'q',
      'gamma',
      'logLikelihood',
      'customers',
      'converged',
    ]);
    expect(customers.map((line) => line.pseudonym).sort()).toEqual(
      customerIds.map((id) => pseudonyms.of(id)).sort(),
    );
    for (const line of customers) {
      expect(line.pAlive).toBeGreaterThan(0);
      expect(line.pAlive).toBeLessThanOrEqual(1);
      expect(line.expectedPurchases).toBeGreaterThan(0);
      expect(line.recency).toBeLessThanOrEqual(line.age);
    }
    expect(run.stdout).not.toContain('cdnow-');
  }, 60_000);

  it('prints customer ids only with --include-personal-data', async () => {
    const run = await runLedgerCli(env, [
      'predict',
      '--as-of',
      '1997-09-30',
      '--time-unit',
      'day',
      '--customers',
      '--include-personal-data',
    ]);
    const [fit, ...customers] = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));

    expect(run.code).toBe(0);
    expect(fit).toMatchObject({ timeUnit: 'day', horizon: 365 });
    expect(customers.map((line) => line.customerId).sort()).toEqual([...customerIds].sort());
  }, 60_000);

  it('backtests, and refuses a holdout that ends before the calibration', async () => {
    const run = await runLedgerCli(env, [
      'predict',
      'backtest',
      '--calibration-end',
      '1997-09-30',
      '--holdout-end',
      '1998-06-30',
    ]);
    const { fit, backtest } = JSON.parse(run.stdout);

    expect(run.code).toBe(0);
    expect(fit.customers).toBe(customerIds.length);
    expect(backtest.cumulative).toHaveLength(39);
    expect(
      backtest.byCalibrationFrequency.reduce((sum: number, c: { customers: number }) => sum + c.customers, 0),
    ).toBe(customerIds.length);
    const backwards = await runLedgerCli(env, [
      'predict',
      'backtest',
      '--calibration-end',
      '1998-06-30',
      '--holdout-end',
      '1997-09-30',
    ]);
    expect(backwards.code).not.toBe(0);
    expect(backwards.stderr).toContain('--holdout-end');
  }, 60_000);

  it('stores the models the profile scores with, and refuses a country that is not a code', async () => {
    const run = await runLedgerCli(env, ['predict', 'refresh', '--as-of', '1997-09-30']);
    const stored = JSON.parse(run.stdout);

    expect(run.code).toBe(0);
    expect(stored).toMatchObject({
      asOf: '1997-09-30T00:00:00.000Z',
      timeUnit: 'week',
      customers: customerIds.length,
      // CDNOW records no items: no baskets, no rules.
      rules: { minSupport: 0.01, minConfidence: 0.3, minLift: 1, baskets: 0, kept: 0 },
    });
    expect(Date.parse(stored.refreshedAt)).not.toBeNaN();
    expect(Object.keys(stored.paretoNbd)).toEqual(expect.arrayContaining(['r', 'alpha', 's', 'beta']));

    const refused = await runLedgerCli(env, ['rules', '--country', 'Narnia']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('--country');
  }, 240_000);
});
