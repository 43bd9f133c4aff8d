import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError, loadConfig } from './ledger-config';

/** LEDGER_SUBSCRIPTION_*: the delivery settings of outbound subscriptions (docs/subscriptions.md). */
describe('subscription delivery settings', () => {
  const base = () => ({
    DATA_DIR: mkdtempSync(join(tmpdir(), 'ledger-config-')),
    LEDGER_MASTER_KEY: randomBytes(32).toString('base64'),
  });

  it('leaves every setting unset (the delivery defaults apply) when none is given', () => {
    expect(loadConfig(base()).subscriptionDelivery).toEqual({
      maxAttempts: undefined,
      retryBaseMs: undefined,
      retryMaxMs: undefined,
      requestTimeoutMs: undefined,
      // No allow list: webhooks reach public addresses only.
      allowedTargets: [],
    });
  });

  it('takes whole numbers from the environment', () => {
    const config = loadConfig({
      ...base(),
      LEDGER_SUBSCRIPTION_MAX_ATTEMPTS: '5',
      LEDGER_SUBSCRIPTION_RETRY_BASE_MS: '250',
      LEDGER_SUBSCRIPTION_RETRY_MAX_MS: '60000',
      LEDGER_SUBSCRIPTION_TIMEOUT_MS: '2000',
      LEDGER_WEBHOOK_ALLOWED_TARGETS: '10.0.0.0/8',
    });
    expect(config.subscriptionDelivery).toEqual({
      maxAttempts: 5,
      retryBaseMs: 250,
      retryMaxMs: 60_000,
      requestTimeoutMs: 2_000,
      allowedTargets: ['10.0.0.0/8'],
    });
  });

  it('names every bad value', () => {
    let error: ConfigurationError | undefined;
    try {
      loadConfig({
        ...base(),
        LEDGER_SUBSCRIPTION_MAX_ATTEMPTS: '0',
        LEDGER_SUBSCRIPTION_RETRY_BASE_MS: 'soon',
        LEDGER_SUBSCRIPTION_RETRY_MAX_MS: '1.5',
        LEDGER_SUBSCRIPTION_TIMEOUT_MS: '10',
      });
    } catch (thrown) {
      error = thrown as ConfigurationError;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error!.problems).toEqual([
      'LEDGER_SUBSCRIPTION_MAX_ATTEMPTS must be an integer from 1 to 100',
      'LEDGER_SUBSCRIPTION_RETRY_BASE_MS must be an integer from 1 to 3600000',
      'LEDGER_SUBSCRIPTION_RETRY_MAX_MS must be an integer from 1 to 86400000',
      'LEDGER_SUBSCRIPTION_TIMEOUT_MS must be an integer from 100 to 300000',
    ]);
  });
});
