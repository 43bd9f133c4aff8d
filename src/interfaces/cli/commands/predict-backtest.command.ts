import { Command } from 'commander';
import { CustomerBasePredictions } from '../../../application/predictions/customer-base-predictions';
import { TimeUnit } from '../../../domain/predictions/purchase-summary';
import { RunLedger, untilReadModelsFoldHead } from '../ledger-run';
import { print } from '../terminal-output';
import { instantOption } from '../option-values';

export function addPredictBacktestCommand(predict: Command, program: Command, runLedger: RunLedger): void {
  predict
    .command('backtest')
    .description(
      'Fit as of --calibration-end and compare with what happened up to --holdout-end: per calibration-frequency class, cumulative per week, per-customer correlation, value (JSON)',
    )
    .requiredOption('--calibration-end <instant>', 'the instant the models are fitted as of (ISO 8601)')
    .requiredOption('--holdout-end <instant>', 'the end of the period compared (ISO 8601)')
    .action(async (_options: unknown, command: Command) => {
      // --time-unit is the parent `predict` command's: it parses it wherever it stands.
      const options = command.optsWithGlobals<{
        calibrationEnd: string;
        holdoutEnd: string;
        timeUnit: TimeUnit;
      }>();
      const calibrationEnd = instantOption(program, 'calibration-end', options.calibrationEnd)!.toISOString();
      const holdoutEnd = instantOption(program, 'holdout-end', options.holdoutEnd)!.toISOString();
      if (holdoutEnd <= calibrationEnd) program.error('--holdout-end must be after --calibration-end');
      print(
        await runLedger(async (app) => {
          await untilReadModelsFoldHead(app);
          return app.get(CustomerBasePredictions).backtest(calibrationEnd, holdoutEnd, options.timeUnit);
        }),
      );
    });
}
