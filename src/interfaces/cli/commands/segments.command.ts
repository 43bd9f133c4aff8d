import { QueryBus } from '@nestjs/cqrs';
import { Command, Option } from 'commander';
import { ReadRfmReport, ReadSegmentMembers } from '../../../application/analytics/segments.queries';
import { formatRows, segmentMemberRows, TableFormat } from '../analytics-tables';
import { RunLedger, untilReadModelsFoldHead } from '../ledger-run';
import { print } from '../terminal-output';
import { instantOption } from '../option-values';

export function addSegmentsCommand(program: Command, runLedger: RunLedger): void {
  program
    .command('segments')
    .description(
      'RFM segments as of an instant, pseudonymous: json gives the counts, grid and every member; csv and ndjson one row per member (analytics and profiling consent honoured)',
    )
    .option('--as-of <instant>', 'the instant (ISO 8601); now when absent')
    .addOption(
      new Option('--format <format>', 'output format').choices(['json', 'csv', 'ndjson']).default('json'),
    )
    .action(async (options: { asOf?: string; format: TableFormat }) => {
      const now = new Date();
      const asOf = instantOption(program, 'as-of', options.asOf) ?? now;
      const { report, members } = await runLedger(async (app) => {
        await untilReadModelsFoldHead(app);
        const queries = app.get(QueryBus);
        return {
          report: await queries.execute(new ReadRfmReport(asOf, now)),
          members: await queries.execute(
            new ReadSegmentMembers(undefined, asOf, Number.MAX_SAFE_INTEGER, now),
          ),
        };
      });
      if (options.format === 'json') print({ ...report, members: members.members });
      else process.stdout.write(formatRows(segmentMemberRows(members), options.format));
    });
}
