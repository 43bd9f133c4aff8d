import { Command } from 'commander';
import { LEDGER_CONFIG, LedgerConfig } from '../../../config/ledger-config';
import { EVENT_STORE, EventStore } from '../../../ports/event-store.port';
import { RunLedger } from '../ledger-run';
import { print } from '../terminal-output';

export function addApplyRetentionCommand(program: Command, runLedger: RunLedger): void {
  program
    .command('apply-retention')
    .description('Redact the data of events older than LEDGER_RETENTION allows (e.g. ProductBrowsed=90)')
    .action(async () => {
      print(
        await runLedger(async (app) => {
          const { retention } = app.get<LedgerConfig>(LEDGER_CONFIG);
          if (retention.length === 0) program.error('LEDGER_RETENTION is not set: nothing to apply');
          return app.get<EventStore>(EVENT_STORE).applyRetention(retention, new Date());
        }),
      );
    });
}
