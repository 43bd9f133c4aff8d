import { convertAt, ExchangeRates } from './exchange-rates';

describe('exchange rates', () => {
  const rates: ExchangeRates = {
    GBP: [
      { from: '2011-01-01', rate: 1.17 },
      { from: '2011-07-01', rate: 1.11 },
    ],
    JPY: [{ from: '2011-01-01', rate: 0.0093 }],
  };

  it('converts at the rate in force on the day of the amount, in minor units of the ledger currency', () => {
    expect(convertAt({ amountMinor: 10000, currency: 'GBP' }, '2011-03-05T10:00:00.000Z', 'EUR', rates)).toBe(
      11700,
    );
    expect(convertAt({ amountMinor: 10000, currency: 'GBP' }, '2011-07-01T00:00:00.000Z', 'EUR', rates)).toBe(
      11100,
    );
    expect(convertAt({ amountMinor: 1234, currency: 'JPY' }, '2011-02-01T00:00:00.000Z', 'EUR', rates)).toBe(
      1148,
    );
  });

  it('needs no rate for the ledger currency, and has none before a currency first has one or for another', () => {
    expect(convertAt({ amountMinor: 999, currency: 'EUR' }, '1990-01-01T00:00:00.000Z', 'EUR', {})).toBe(999);
    expect(
      convertAt({ amountMinor: 100, currency: 'GBP' }, '2010-12-31T23:59:59.999Z', 'EUR', rates),
    ).toBeUndefined();
    expect(
      convertAt({ amountMinor: 100, currency: 'USD' }, '2011-03-05T00:00:00.000Z', 'EUR', rates),
    ).toBeUndefined();
  });
});
