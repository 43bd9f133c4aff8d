import { parseExchangeRates } from './exchange-rates-file';

describe('LEDGER_EXCHANGE_RATES_FILE', () => {
  it('reads currency,from,rate rows into rates per currency in order of their first day', () => {
    const { rates, problems } = parseExchangeRates(
      'currency,from,rate\nGBP,2011-07-01,1.11\r\nGBP,2011-01-01,1.17\n\nUSD,2019-01-01,0.87\n',
      'EUR',
    );
    expect(problems).toEqual([]);
    expect(rates).toEqual({
      GBP: [
        { from: '2011-01-01', rate: 1.17 },
        { from: '2011-07-01', rate: 1.11 },
      ],
      USD: [{ from: '2019-01-01', rate: 0.87 }],
    });
  });

  it('names each bad row by its line', () => {
    const { problems } = parseExchangeRates(
      [
        'currency,from,rate',
        'gbp,2011-01-01,1.1',
        'EUR,2011-01-01,1',
        'USD,01/02/2019,0.9',
        'USD,2019-01-01,-1',
        'USD,2019-01-01,0.9,extra',
        'BRL,2019-01-01,0.2',
        'BRL,2019-01-01,0.21',
      ].join('\n'),
      'EUR',
    );
    expect(problems).toEqual([
      'LEDGER_EXCHANGE_RATES_FILE line 2: "gbp" is not an ISO 4217 currency code',
      'LEDGER_EXCHANGE_RATES_FILE line 3: EUR is LEDGER_CURRENCY itself, which needs no rate',
      'LEDGER_EXCHANGE_RATES_FILE line 4: from "01/02/2019" must be a day as YYYY-MM-DD',
      'LEDGER_EXCHANGE_RATES_FILE line 5: rate "-1" must be a positive number',
      'LEDGER_EXCHANGE_RATES_FILE line 6 must have three cells: currency,from,rate',
      'LEDGER_EXCHANGE_RATES_FILE line 8: BRL already has a rate from 2019-01-01',
    ]);
  });

  it('needs the header line', () => {
    expect(parseExchangeRates('GBP,2011-01-01,1.17', 'EUR').problems).toEqual([
      'LEDGER_EXCHANGE_RATES_FILE must start with the header line currency,from,rate',
    ]);
  });
});
