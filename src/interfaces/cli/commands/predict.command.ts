import { Command, Option } from 'commander';
import { Pseudonyms } from '../../../privacy/pseudonyms';
import { AccessLog } from '../../../privacy/access-log';
import { CustomerBasePredictions } from '../../../application/predictions/customer-base-predictions';
import { PURCHASE_MODELS, PurchaseModel } from '../../../domain/predictions/customer-forecast';
import { TimeUnit } from '../../../domain/predictions/purchase-summary';
import { actor, RunLedger, untilReadModelsFoldHead } from '../ledger-run';
import { print } from '../terminal-output';
import { instantOption, numberOption, timeUnitOption } from '../option-values';

export function addPredictCommand(program: Command, runLedger: RunLedger): Command {
  return program
    .command('predict')
    .description(
      'Fit BG/NBD, Pareto/NBD and Gamma-Gamma on the purchase histories as of an instant and print their parameters as JSON; --customers prints NDJSON instead: the fit, then one line per customer with profiling consent (pseudonyms unless --include-personal-data)',
    )
    .option('--as-of <instant>', 'the instant (ISO 8601); now when absent')
    .addOption(timeUnitOption())
    .option('--customers', 'add per-customer predictions (NDJSON)')
    .option('--horizon <units>', 'how far ahead, in the time unit (default: a year)')
    .addOption(
      new Option('--model <model>', 'the purchase model of the per-customer predictions')
        .choices(PURCHASE_MODELS)
        .default('bg-nbd'),
    )
    .option('--discount-rate <rate>', 'yearly discount rate of expected value (0.1 = 10 %)', '0.1')
    .option(
      '--include-personal-data',
      'customer ids instead of pseudonyms (for auditors and admins; every customer printed is access-logged)',
    )
    .action(
      async (options: {
        asOf?: string;
        timeUnit: TimeUnit;
        customers?: boolean;
        horizon?: string;
        model: PurchaseModel;
        discountRate: string;
        includePersonalData?: boolean;
      }) => {
        const asOf = (instantOption(program, 'as-of', options.asOf) ?? new Date()).toISOString();
        const settings = {
          model: options.model,
          horizon: numberOption(program, 'horizon', options.horizon, options.timeUnit === 'week' ? 52 : 365),
          annualDiscountRate: numberOption(program, 'discount-rate', options.discountRate, 0.1),
        };
        await runLedger(async (app) => {
          await untilReadModelsFoldHead(app);
          const predictions = app.get(CustomerBasePredictions);
          const fitted = await predictions.fit(asOf, options.timeUnit);
          if (!options.customers) return print(fitted.report);
          const write = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
          write({ ...fitted.report, horizon: settings.horizon, model: settings.model });
          const pseudonyms = app.get(Pseudonyms);
          const accessLog = app.get(AccessLog);
          const requestId = `cli:predict:${new Date().toISOString()}`;
          for (const { customerId, forecast } of predictions.forecasts(fitted, settings)) {
            if (options.includePersonalData) {
              await accessLog.record(customerId, actor, 'predictions', requestId);
              write({ customerId, ...forecast });
            } else {
              write({ pseudonym: pseudonyms.of(customerId), ...forecast });
            }
          }
        });
      },
    );
}
