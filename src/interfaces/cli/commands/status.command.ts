import { Command } from 'commander';
import { PROJECTION_ENGINE, ProjectionEngine } from '../../../application/read-models/projection-engine';
import { RunLedger } from '../ledger-run';
import { print } from '../terminal-output';

export function addStatusCommand(program: Command, runLedger: RunLedger): void {
  program
    .command('status')
    .description('Projection checkpoints, lag, last errors and parked events')
    .action(async () => {
      print(
        await runLedger(async (app) => app.get<ProjectionEngine>(PROJECTION_ENGINE).status(), {
          fold: false,
        }),
      );
    });
}
