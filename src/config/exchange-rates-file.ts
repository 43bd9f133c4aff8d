import { ExchangeRate, ExchangeRates } from '../domain/exchange-rates';
import { isCurrencyCode } from '../domain/money';

const NAME = 'LEDGER_EXCHANGE_RATES_FILE';

/**
 * Parses and checks the operator's exchange-rate table: CSV with the header `currency,from,rate`, one row per
 * currency and first day (`GBP,2011-01-01,1.17`: from that day one GBP is 1.17 units of LEDGER_CURRENCY).
 * Returns the problems found, one per bad row, naming its line.
 */
export function parseExchangeRates(
  csv: string,
  ledgerCurrency: string,
): { rates: ExchangeRates; problems: string[] } {
  const lines = csv.split(/\r?\n/).map((line) => line.trim());
  if (lines[0]?.replace(/\s/g, '').toLowerCase() !== 'currency,from,rate') {
    return { rates: {}, problems: [`${NAME} must start with the header line currency,from,rate`] };
  }
  const problems: string[] = [];
  const rates: Record<string, ExchangeRate[]> = {};
  lines.forEach((line, index) => {
    if (index === 0 || line === '') return;
    const where = `${NAME} line ${index + 1}`;
    const [currency = '', from = '', rateText = '', ...rest] = line.split(',').map((cell) => cell.trim());
    const rate = Number(rateText);
    const before = problems.length;
    if (rest.length > 0) problems.push(`${where} must have three cells: currency,from,rate`);
    if (!isCurrencyCode(currency)) problems.push(`${where}: "${currency}" is not an ISO 4217 currency code`);
    else if (currency === ledgerCurrency)
      problems.push(`${where}: ${currency} is LEDGER_CURRENCY itself, which needs no rate`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(from) || Number.isNaN(Date.parse(`${from}T00:00:00Z`)))
      problems.push(`${where}: from "${from}" must be a day as YYYY-MM-DD`);
    if (rateText === '' || !Number.isFinite(rate) || rate <= 0)
      problems.push(`${where}: rate "${rateText}" must be a positive number`);
    if (problems.length > before) return;
    const rows = (rates[currency] ??= []);
    if (rows.some((row) => row.from === from))
      problems.push(`${where}: ${currency} already has a rate from ${from}`);
    else rows.push({ from, rate });
  });
  for (const rows of Object.values(rates)) rows.sort((a, b) => (a.from < b.from ? -1 : 1));
  return { rates, problems };
}
