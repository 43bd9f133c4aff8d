import { Command } from 'commander';
import { EVENT_STORE, EventStore } from '../../../ports/event-store.port';
import { PROJECTION_ENGINE, ProjectionEngine } from '../../../application/read-models/projection-engine';
import { RunLedger, untilReadModelsFoldHead } from '../ledger-run';
import { print, progressBar } from '../terminal-output';

/** Polls the engine until no rebuild is left, telling the position the slowest one has reached. */
async function untilRebuildsSwitch(engine: ProjectionEngine, onPosition: (position: number) => void) {
  for (;;) {
    const rebuilding = (await engine.status()).filter((status) => status.rebuild);
    if (rebuilding.length === 0) return;
    onPosition(Math.min(...rebuilding.map((status) => status.rebuild!.position)));
    await new Promise((done) => setTimeout(done, 200));
  }
}

export function addRebuildCommand(program: Command, runLedger: RunLedger): void {
  program
    .command('rebuild')
    .description('Rebuild projections from position 0 (blue/green) and wait until they are live')
    .argument('[names...]', 'projection names (all when none)')
    .action(async (names: string[]) => {
      await runLedger(async (app) => {
        const engine = app.get<ProjectionEngine>(PROJECTION_ENGINE);
        await engine.caughtUp(3_600_000);
        await engine.rebuild(names.length > 0 ? names : engine.names());
        const head = await app.get<EventStore>(EVENT_STORE).lastPosition();
        const bar = progressBar('rebuilding');
        bar.start(head, 0, { unit: 'events' });
        await untilRebuildsSwitch(engine, (position) => bar.update(position));
        bar.update(head);
        bar.stop();
        await untilReadModelsFoldHead(app);
        print(await engine.status());
      });
    });
}
