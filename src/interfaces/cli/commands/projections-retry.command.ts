import { Command } from 'commander';
import { PROJECTION_ENGINE, ProjectionEngine } from '../../../application/read-models/projection-engine';
import { RunLedger } from '../ledger-run';
import { print } from '../terminal-output';

export function addProjectionsRetryCommand(program: Command, runLedger: RunLedger): void {
  const projectionsCommand = program
    .command('projections')
    .description('Projection operations on parked events (see `status` for the list)');

  projectionsCommand
    .command('retry')
    .description(
      'After a fix, fold the parked events of one projection (or all) again; exit 1 while any stays parked',
    )
    .argument('[name]', 'projection name (all when none)')
    .action(async (name: string | undefined) => {
      const report = await runLedger(
        async (app) => {
          const engine = app.get<ProjectionEngine>(PROJECTION_ENGINE);
          if (name !== undefined && !engine.names().includes(name)) {
            throw new Error(`no projection is named ${name} (known: ${engine.names().join(', ')})`);
          }
          await engine.caughtUp(3_600_000);
          const retried = await engine.retryParked(name === undefined ? undefined : [name]);
          return { retried, projections: await engine.status() };
        },
        { fold: true },
      );
      print(report);
      if (report.retried.some((result) => result.stillParked + result.newlyParked > 0)) process.exitCode = 1;
    });
}
