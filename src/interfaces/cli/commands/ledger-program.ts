import { Command } from 'commander';
import { RunLedger } from '../ledger-run';
import { addAnchorKeyCommand } from './anchor-key.command';
import { addAnchorCommand } from './anchor.command';
import { addApplyRetentionCommand } from './apply-retention.command';
import { addAsOfCommand } from './as-of.command';
import { addCohortsCommand } from './cohorts.command';
import { addDemoCommand } from './demo.command';
import { addEraseCommand } from './erase.command';
import { addExportSubjectCommand } from './export-subject.command';
import { addExportCommand } from './export.command';
import { addImportCommand } from './import.command';
import { addPredictBacktestCommand } from './predict-backtest.command';
import { addPredictCommand } from './predict.command';
import { addPredictRefreshCommand } from './predict-refresh.command';
import { addProjectCommand } from './project.command';
import { addProjectionsRetryCommand } from './projections-retry.command';
import { addRebuildCommand } from './rebuild.command';
import { addRotateMasterKeyCommand } from './rotate-master-key.command';
import { addRulesCommand } from './rules.command';
import { addSegmentsCommand } from './segments.command';
import { addStaffActivityCommand } from './staff-activity.command';
import { addStaffInviteCommand } from './staff-invite.command';
import { addStatusCommand } from './status.command';
import { addVerifyCommand } from './verify.command';
import { addWhatIfCommand } from './what-if.command';

/**
 * The `ledger` program: one file per command in `commands/`, each given the program (commands share its help and
 * its error output) and the way to run work on the ledger. Added in the order `--help` lists them.
 */
export function ledgerProgram(runLedger: RunLedger): Command {
  const program = new Command()
    .name('ledger')
    .description(
      'Customer-interaction ledger: import, replay and export, what-if, rebuild, verify, subject export, erasure',
    )
    .showHelpAfterError();
  addImportCommand(program, runLedger);
  addDemoCommand(program, runLedger);
  addExportCommand(program, runLedger);
  addWhatIfCommand(program, runLedger);
  addAsOfCommand(program, runLedger);
  addSegmentsCommand(program, runLedger);
  addCohortsCommand(program, runLedger);
  const predict = addPredictCommand(program, runLedger);
  addPredictRefreshCommand(predict, program, runLedger);
  addPredictBacktestCommand(predict, program, runLedger);
  addRulesCommand(program, runLedger);
  addRebuildCommand(program, runLedger);
  addProjectionsRetryCommand(program, runLedger);
  addProjectCommand(program, runLedger);
  addStatusCommand(program, runLedger);
  addVerifyCommand(program, runLedger);
  addAnchorCommand(program, runLedger);
  addAnchorKeyCommand(program);
  addExportSubjectCommand(program, runLedger);
  addStaffActivityCommand(program, runLedger);
  addStaffInviteCommand(program, runLedger);
  addRotateMasterKeyCommand(program, runLedger);
  addApplyRetentionCommand(program, runLedger);
  addEraseCommand(program, runLedger);
  return program;
}
