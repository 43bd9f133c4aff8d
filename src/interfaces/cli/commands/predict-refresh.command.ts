import { Command } from 'commander';
import { PredictionModels } from '../../../application/predictions/prediction-models';
import { TimeUnit } from '../../../domain/predictions/purchase-summary';
import { RunLedger, untilReadModelsFoldHead } from '../ledger-run';
import { print } from '../terminal-output';
import { instantOption, ruleThresholds, withRuleThresholdOptions } from '../option-values';

export function addPredictRefreshCommand(predict: Command, program: Command, runLedger: RunLedger): void {
  withRuleThresholdOptions(predict.command('refresh'))
    .description(
      'Fit the models and count the association rules as of --as-of (now when absent; in --time-unit) and store them: the rep profile and the per-customer answers score with the stored models. Run it on a schedule (daily, e.g. from cron); prints the fit and the rules kept (JSON)',
    )
    .action(async (_options: unknown, command: Command) => {
      // --as-of and --time-unit are the parent `predict` command's: it parses them wherever they stand.
      const options = command.optsWithGlobals<{
        asOf?: string;
        timeUnit: TimeUnit;
        minSupport: string;
        minConfidence: string;
        minLift: string;
      }>();
      const now = new Date();
      const asOf = (instantOption(program, 'as-of', options.asOf) ?? now).toISOString();
      const thresholds = ruleThresholds(program, options);
      const stored = await runLedger(async (app) => {
        await untilReadModelsFoldHead(app);
        return app.get(PredictionModels).refresh(asOf, options.timeUnit, thresholds, now);
      });
      print({
        refreshedAt: stored.refreshedAt,
        ...stored.report,
        rules: { ...stored.rules.thresholds, baskets: stored.rules.baskets, kept: stored.rules.rules.length },
      });
    });
}
