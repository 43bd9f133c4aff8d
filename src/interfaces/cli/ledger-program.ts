import { Command } from 'commander';
import { RunLedger } from './ledger-run';
import { addAnchorKeyCommand } from './commands/anchor-key.command';
import { addAnchorCommand } from './commands/anchor.command';
import { addApplyRetentionCommand } from './commands/apply-retention.command';
import { addAsOfCommand } from './commands/as-of.command';
import { addCohortsCommand } from './commands/cohorts.command';
import { addDemoCommand } from './commands/demo.command';
import { addEraseCommand } from './commands/erase.command';
import { addExportSubjectCommand } from './commands/export-subject.command';
import { addExportCommand } from './commands/export.command';
import { addImportCommand } from './commands/import.command';
import { addPredictBacktestCommand } from './commands/predict-backtest.command';
import { addPredictCommand } from './commands/predict.command';
import { addProjectCommand } from './commands/project.command';
import { addProjectionsRetryCommand } from './commands/projections-retry.command';
import { addRebuildCommand } from './commands/rebuild.command';
import { addRotateMasterKeyCommand } from './commands/rotate-master-key.command';
import { addRulesCommand } from './commands/rules.command';
import { addSegmentsCommand } from './commands/segments.command';
import { addStaffActivityCommand } from './commands/staff-activity.command';
import { addStaffInviteCommand } from './commands/staff-invite.command';
import { addStatusCommand } from './commands/status.command';
import { addVerifyCommand } from './commands/verify.command';
import { addWhatIfCommand } from './commands/what-if.command';

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
  addPredictBacktestCommand(addPredictCommand(program, runLedger), program, runLedger);
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
