import { INestApplicationContext } from '@nestjs/common';
import { PROJECTION_ENGINE, ProjectionEngine } from '../../application/read-models/projection-engine';
import { EVENT_STORE, EventStore } from '../../ports/event-store.port';

/** Who the CLI records as actor: the operating-system user. */
export const actor = `cli:${process.env.USER ?? 'operator'}`;

export interface LedgerRunOptions {
  /** Whether this run folds the projections (default: as configured, LEDGER_PROJECTIONS). */
  readonly fold?: boolean;
  /** Whether this run delivers outbound subscriptions (default: no). */
  readonly deliver?: boolean;
}

/**
 * Runs a command's work on the ledger, booted without HTTP by the CLI's composition root (`src/cli.ts`), and
 * closes it after. Commands that only read the log or report on read models do not fold projections meanwhile
 * (`fold: false`). Only `project` delivers outbound subscriptions (`deliver: true`): a short command must not
 * deliver beside the service that does.
 */
export type RunLedger = <T>(
  work: (app: INestApplicationContext) => Promise<T>,
  options?: LedgerRunOptions,
) => Promise<T>;

/**
 * Read-your-writes for the CLI: waits until the read models have folded the log as it stands now (this process
 * folds, or a projector does when LEDGER_PROJECTIONS=off), saying so when that takes a moment.
 */
export async function untilReadModelsFoldHead(
  app: INestApplicationContext,
  timeoutMs = 600_000,
): Promise<void> {
  const head = await app.get<EventStore>(EVENT_STORE).lastPosition();
  const engine = app.get<ProjectionEngine>(PROJECTION_ENGINE);
  if (await engine.waitFor(head, 1_000)) return;
  console.error(`waiting for the read models to fold the log up to position ${head}…`);
  if (await engine.waitFor(head, timeoutMs)) return;
  throw new Error(
    `the read models did not fold the log up to position ${head} within ${timeoutMs / 1000} s` +
      (engine.folds ? '' : ': is a projector running (`npm run ledger -- project`)?'),
  );
}
