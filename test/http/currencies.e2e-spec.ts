import { LedgerTestApp } from '../support/ledger-app';
import { aPurchase, aRegistration, aTouchpoint } from '../fixtures/touchpoints';

/** Recent days, so that every purchase lies in the loyalty window whenever the test runs. */
const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

const pounds = (amount: number) => ({ amount, currency: 'GBP' });
const dollars = (amount: number) => ({ amount, currency: 'USD' });

/** Three purchases in pounds, one in dollars and a refund in pounds: a customer of a UK shop. */
async function recordBuyer(ledger: LedgerTestApp, customerId: string) {
  await ledger.post('/v1/customers', aRegistration({ customerId }));
  const purchase = (orderId: string, total: object, days: number) =>
    aPurchase(customerId, { occurredAt: daysAgo(days), data: { orderId, total } });
  const answer = await ledger.post('/v1/touchpoints/batch', {
    touchpoints: [
      purchase('A-1', pounds(300), 40),
      purchase('A-2', pounds(150.5), 30),
      purchase('A-3', pounds(60), 20),
      purchase('U-1', dollars(25), 10),
      aTouchpoint(customerId, 'refund', { orderId: 'A-1', amount: pounds(10.5) }, { occurredAt: daysAgo(5) }),
    ],
  });
  expect(answer.status).toBe(201);
  await ledger.projected();
}

describe('money in several currencies (LEDGER_CURRENCY EUR, the default)', () => {
  let ledger: LedgerTestApp;
  beforeAll(async () => {
    ledger = await LedgerTestApp.start();
    await recordBuyer(ledger, 'uk-1');
  });
  afterAll(() => ledger.stop());

  it('reports the net spend per currency, the principal currency first, never as zero euros', async () => {
    const profile = await ledger.get('/v1/customers/uk-1');
    expect(profile.status).toBe(200);
    expect(profile.body.netSpend).toEqual(pounds(500));
    expect(profile.body.netSpendByCurrency).toEqual([pounds(500), dollars(25)]);
  });

  it('scores the monetary component on the principal currency and says which purchases it left out', async () => {
    const loyalty = await ledger.get('/v1/customers/uk-1/loyalty');
    expect(loyalty.body.components.netSpendInWindow).toEqual({ amountMinor: 50000, currency: 'GBP' });
    expect(loyalty.body.components.monetaryBasis).toEqual({
      rule: 'principal-currency',
      currency: 'GBP',
      leftOut: [{ currency: 'USD', purchases: 1, refunds: 0 }],
    });
    expect(loyalty.body.components.monetary).toBeCloseTo(Math.log(501) / Math.log(1001), 9);
    expect(loyalty.body.tier).not.toBe('bronze');
    const profile = await ledger.get('/v1/customers/uk-1');
    expect(profile.body.loyalty.components.monetaryBasis).toEqual(loyalty.body.components.monetaryBasis);
  });

  it('shows a customer without purchases in the ledger currency', async () => {
    await ledger.post('/v1/customers', aRegistration({ customerId: 'new-1' }));
    await ledger.projected();
    const profile = await ledger.get('/v1/customers/new-1');
    expect(profile.body.netSpend).toEqual({ amount: 0, currency: 'EUR' });
    expect(profile.body.netSpendByCurrency).toEqual([{ amount: 0, currency: 'EUR' }]);
  });
});

describe('money in several currencies with an exchange-rate table', () => {
  let ledger: LedgerTestApp;
  beforeAll(async () => {
    ledger = await LedgerTestApp.start({
      exchangeRates: { GBP: [{ from: '2000-01-01', rate: 1.2 }] },
    });
    await recordBuyer(ledger, 'uk-2');
  });
  afterAll(() => ledger.stop());

  it('converts what has a rate to the ledger currency; the profile keeps the spend as paid', async () => {
    const loyalty = await ledger.get('/v1/customers/uk-2/loyalty');
    expect(loyalty.body.components.netSpendInWindow).toEqual({ amountMinor: 60000, currency: 'EUR' });
    expect(loyalty.body.components.monetaryBasis).toEqual({
      rule: 'exchange-rates',
      currency: 'EUR',
      leftOut: [{ currency: 'USD', purchases: 1, refunds: 0 }],
    });
    const profile = await ledger.get('/v1/customers/uk-2');
    expect(profile.body.netSpendByCurrency).toEqual([pounds(500), dollars(25)]);
  });
});
