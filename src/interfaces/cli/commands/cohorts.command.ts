import { QueryBus } from '@nestjs/cqrs';
import { Command, Option } from 'commander';
import { ReadCohortReport } from '../../../application/analytics/segments.queries';
import { cohortRows, formatRows, TableFormat } from '../analytics-tables';
import { RunLedger, untilReadModelsFoldHead } from '../ledger-run';
import { print } from '../terminal-output';
import { instantOption } from '../option-values';

export function addCohortsCommand(program: Command, runLedger: RunLedger): void {
  program
    .command('cohorts')
    .description(
      'Purchase cohorts by first-purchase month: retention and net revenue; json gives the report, csv and ndjson one row per cohort and later month (analytics consent honoured)',
    )
    .option('--from <instant>', 'first purchase from (ISO 8601)')
    .option('--to <instant>', 'first purchase to (ISO 8601)')
    .option('--as-of <instant>', 'count what happened up to this instant; now when absent')
    .addOption(
      new Option('--format <format>', 'output format').choices(['json', 'csv', 'ndjson']).default('json'),
    )
    .action(async (options: { from?: string; to?: string; asOf?: string; format: TableFormat }) => {
      const range = {
        from: instantOption(program, 'from', options.from)?.toISOString(),
        to: instantOption(program, 'to', options.to)?.toISOString(),
        asOf: instantOption(program, 'as-of', options.asOf)?.toISOString(),
      };
      const report = await runLedger(async (app) => {
        await untilReadModelsFoldHead(app);
        return app.get(QueryBus).execute(new ReadCohortReport(range, new Date()));
      });
      if (options.format === 'json') print(report);
      else process.stdout.write(formatRows(cohortRows(report), options.format));
    });
}
