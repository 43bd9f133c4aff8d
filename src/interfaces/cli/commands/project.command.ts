import { Command } from 'commander';
import type { Logger } from 'pino';
import { PROJECTIONS } from '../../../../projections/catalog';
import { PartitionedProjector } from '../../../application/read-models/partitioned-projector';
import { PROJECTION_ENGINE, ProjectionEngine } from '../../../application/read-models/projection-engine';
import { LEDGER_CONFIG, LedgerConfig } from '../../../config/ledger-config';
import { LEDGER_LOGGER } from '../../../config/logger';
import { EVENT_STORE, EventStore } from '../../../ports/event-store.port';
import { OPEN_PROJECTOR_PARTITIONS, OpenProjectorPartitions } from '../../../ports/projector-partitions.port';
import { READ_STORE, ReadStore } from '../../../ports/read-store.port';
import { RunLedger } from '../ledger-run';
import { print } from '../terminal-output';

export function addProjectCommand(program: Command, runLedger: RunLedger): void {
  program
    .command('project')
    .description(
      'Fold the projections and deliver the outbound subscriptions until stopped (for service instances started with LEDGER_PROJECTIONS=off)',
    )
    .option(
      '--partitioned',
      'PostgreSQL: fold a fair share of the partitions, beside other projectors run so (docs/postgresql.md, "Scale-out")',
    )
    .option('--deliver', 'with --partitioned: also deliver the outbound subscriptions (one process only)')
    .action(async (options: { partitioned?: boolean; deliver?: boolean }) => {
      if (options.partitioned) {
        await runLedger(foldPartitions, { fold: false, deliver: options.deliver === true });
        return;
      }
      await runLedger(
        async (app) => {
          const engine = app.get<ProjectionEngine>(PROJECTION_ENGINE);
          console.error('folding projections and delivering subscriptions; Ctrl-C to stop');
          await untilStopped();
          print(await engine.status());
        },
        { fold: true, deliver: true },
      );
    });
}

/** Runs a partitioned projector until SIGINT or SIGTERM, then gives its partitions up. */
async function foldPartitions(app: Parameters<Parameters<RunLedger>[0]>[0]): Promise<void> {
  const open = app.get<OpenProjectorPartitions>(OPEN_PROJECTOR_PARTITIONS);
  if (!open) {
    throw new Error(
      '--partitioned needs PostgreSQL for both the event store and the read models (DATABASE_URL)',
    );
  }
  const config = app.get<LedgerConfig>(LEDGER_CONFIG);
  const partitions = await open();
  const projector = new PartitionedProjector(
    app.get<EventStore>(EVENT_STORE),
    app.get<ReadStore>(READ_STORE),
    partitions,
    PROJECTIONS,
    app.get<Logger>(LEDGER_LOGGER),
    { leaseMs: config.projectionLeaseMs },
  );
  try {
    await projector.start();
    console.error(
      `folding a share of ${partitions.partitions} projection partitions as ${projector.owner}; Ctrl-C to stop`,
    );
    await untilStopped();
    await projector.stop();
  } finally {
    await partitions.close();
  }
}

const untilStopped = () =>
  new Promise<void>((stop) => ['SIGINT', 'SIGTERM'].forEach((signal) => process.once(signal, () => stop())));
