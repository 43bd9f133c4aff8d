import { Command } from 'commander';
import { PROJECTION_ENGINE, ProjectionEngine } from '../../../application/read-models/projection-engine';
import { RunLedger } from '../ledger-run';
import { print } from '../terminal-output';

export function addProjectCommand(program: Command, runLedger: RunLedger): void {
  program
    .command('project')
    .description(
      'Fold the projections and deliver the outbound subscriptions until stopped (for service instances started with LEDGER_PROJECTIONS=off)',
    )
    .action(async () => {
      await runLedger(
        async (app) => {
          const engine = app.get<ProjectionEngine>(PROJECTION_ENGINE);
          console.error('folding projections and delivering subscriptions; Ctrl-C to stop');
          await new Promise<void>((stop) =>
            ['SIGINT', 'SIGTERM'].forEach((signal) => process.once(signal, () => stop())),
          );
          print(await engine.status());
        },
        { fold: true, deliver: true },
      );
    });
}
