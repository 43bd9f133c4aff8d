import { Command } from 'commander';
import { ProductAssociations } from '../../../application/predictions/product-associations';
import { RunLedger, untilReadModelsFoldHead } from '../ledger-run';
import { print } from '../terminal-output';
import { instantOption, numberOption } from '../option-values';

export function addRulesCommand(program: Command, runLedger: RunLedger): void {
  program
    .command('rules')
    .description(
      'Association rules between products (SKUs) from the purchase baskets as of an instant, by FP-growth, strongest lift first (analytics consent honoured)',
    )
    .option('--as-of <instant>', 'count purchases up to this instant (ISO 8601); now when absent')
    .option('--from <instant>', 'purchases from (ISO 8601)')
    .option('--to <instant>', 'purchases to (ISO 8601)')
    .option('--min-support <share>', 'smallest share of baskets holding a rule', '0.01')
    .option('--min-confidence <share>', 'smallest confidence', '0.3')
    .option('--min-lift <lift>', 'smallest lift', '1')
    .action(
      async (options: {
        asOf?: string;
        from?: string;
        to?: string;
        minSupport: string;
        minConfidence: string;
        minLift: string;
      }) => {
        const range = {
          asOf: (instantOption(program, 'as-of', options.asOf) ?? new Date()).toISOString(),
          from: instantOption(program, 'from', options.from)?.toISOString(),
          to: instantOption(program, 'to', options.to)?.toISOString(),
        };
        const thresholds = {
          minSupport: numberOption(program, 'min-support', options.minSupport, 0.01),
          minConfidence: numberOption(program, 'min-confidence', options.minConfidence, 0.3),
          minLift: numberOption(program, 'min-lift', options.minLift, 1),
        };
        print(
          await runLedger(async (app) => {
            await untilReadModelsFoldHead(app);
            return app.get(ProductAssociations).rules(range, thresholds);
          }),
        );
      },
    );
}
