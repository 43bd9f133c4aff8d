import { isISO31661Alpha2 } from 'class-validator';
import { Command } from 'commander';
import { ProductAssociations } from '../../../application/predictions/product-associations';
import { RunLedger, untilReadModelsFoldHead } from '../ledger-run';
import { print } from '../terminal-output';
import { instantOption, ruleThresholds, withRuleThresholdOptions } from '../option-values';

export function addRulesCommand(program: Command, runLedger: RunLedger): void {
  withRuleThresholdOptions(program.command('rules'))
    .description(
      'Association rules between products (SKUs) from the purchase baskets as of an instant, by FP-growth, strongest lift first (analytics consent honoured)',
    )
    .option('--as-of <instant>', 'count purchases up to this instant (ISO 8601); now when absent')
    .option('--from <instant>', 'purchases from (ISO 8601)')
    .option('--to <instant>', 'purchases to (ISO 8601)')
    .option(
      '--country <code>',
      'only the purchases of customers registered in this country (ISO 3166-1 alpha-2)',
    )
    .action(
      async (options: {
        asOf?: string;
        from?: string;
        to?: string;
        minSupport: string;
        minConfidence: string;
        minLift: string;
        country?: string;
      }) => {
        if (options.country !== undefined && !isISO31661Alpha2(options.country)) {
          program.error('--country must be an ISO 3166-1 alpha-2 code such as GB');
        }
        const range = {
          asOf: (instantOption(program, 'as-of', options.asOf) ?? new Date()).toISOString(),
          from: instantOption(program, 'from', options.from)?.toISOString(),
          to: instantOption(program, 'to', options.to)?.toISOString(),
          country: options.country,
        };
        const thresholds = ruleThresholds(program, options);
        print(
          await runLedger(async (app) => {
            await untilReadModelsFoldHead(app);
            return app.get(ProductAssociations).rules(range, thresholds);
          }),
        );
      },
    );
}
