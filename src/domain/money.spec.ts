import {
  amountProblem,
  formatMoney,
  isCurrencyCode,
  minorDigits,
  money,
  principalCurrency,
  toDecimal,
  toMinorUnits,
} from './money';

describe('money', () => {
  it('converts decimals to integer minor units without float error', () => {
    expect(toMinorUnits(120.5, 'EUR')).toBe(12050);
    expect(toMinorUnits(0.1, 'EUR')).toBe(10);
    expect(toMinorUnits(19.99, 'EUR')).toBe(1999);
    expect(toMinorUnits(1234.56, 'GBP')).toBe(123456);
    expect(toMinorUnits(500, 'JPY')).toBe(500);
    expect(toMinorUnits(1.234, 'BHD')).toBe(1234);
  });

  it('refuses more decimals than the currency has, unknown currencies and unsafe sizes', () => {
    expect(toMinorUnits(1.005, 'EUR')).toBeUndefined();
    expect(toMinorUnits(10.5, 'JPY')).toBeUndefined();
    expect(toMinorUnits(10, 'XYZ')).toBeUndefined();
    expect(toMinorUnits(1e21, 'EUR')).toBeUndefined();
    expect(toMinorUnits(Number.NaN, 'EUR')).toBeUndefined();
    expect(() => money(1.001, 'EUR')).toThrow(RangeError);
  });

  it('knows ISO 4217 codes and their minor digits', () => {
    expect(isCurrencyCode('EUR')).toBe(true);
    expect(isCurrencyCode('eur')).toBe(false);
    expect(isCurrencyCode('ABC')).toBe(false);
    expect([minorDigits('EUR'), minorDigits('JPY'), minorDigits('BHD')]).toEqual([2, 0, 3]);
  });

  it('formats and converts back exactly', () => {
    expect(toDecimal({ amountMinor: 12050, currency: 'EUR' })).toBe(120.5);
    expect(formatMoney({ amountMinor: 12050, currency: 'EUR' })).toBe('EUR 120.50');
    expect(formatMoney({ amountMinor: 500, currency: 'JPY' })).toBe('JPY 500');
  });

  it('names the principal currency: most purchases, a tie to the ledger currency, then by code', () => {
    expect(principalCurrency({}, 'EUR')).toBe('EUR');
    expect(principalCurrency({ GBP: 34 }, 'EUR')).toBe('GBP');
    expect(principalCurrency({ GBP: 3, EUR: 2, USD: 4 }, 'EUR')).toBe('USD');
    expect(principalCurrency({ GBP: 2, EUR: 2 }, 'EUR')).toBe('EUR');
    expect(principalCurrency({ USD: 2, GBP: 2 }, 'EUR')).toBe('GBP');
  });
});

describe('amountProblem', () => {
  it('tells too many decimals from too large an amount', () => {
    expect(amountProblem(1.005, 'EUR')).toBe('has more decimals than EUR allows');
    expect(amountProblem(1e-7, 'EUR')).toBe('has more decimals than EUR allows');
    expect(amountProblem(1e15, 'EUR')).toBe(
      'is too large: at most EUR 90071992547409.91 can be held exactly',
    );
    expect(amountProblem(1e21, 'JPY')).toBe('is too large: at most JPY 9007199254740991 can be held exactly');
    expect(amountProblem(90071992547409.91, 'EUR')).toBeUndefined();
    expect(amountProblem(120.5, 'EUR')).toBeUndefined();
  });
});
