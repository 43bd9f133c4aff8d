import { QueryBus } from '@nestjs/cqrs';
import { Command } from 'commander';
import { LEDGER_CONFIG, LedgerConfig } from '../../../config/ledger-config';
import { EVENT_STORE, EventStore, RecordedEvent } from '../../../ports/event-store.port';
import { verifyLog, verifyLogAgainstAnchor } from '../../../application/gdpr/log-verification';
import { readAnchorFile, readVerifyingKey } from '../anchor-files';
import { VerifyChains } from '../../../application/gdpr/personal-data.queries';
import { RunLedger } from '../ledger-run';
import { print, progressBar } from '../terminal-output';

export function addVerifyCommand(program: Command, runLedger: RunLedger): void {
  program
    .command('verify')
    .description(
      "Verify content, order and completeness (hash chains, stream heads, the store's counts), optionally against a signed anchor; report the first break (exit 1 on a break)",
    )
    .option('--customer <id>', 'only this customer')
    .option(
      '--against <anchor>',
      'also prove that nothing recorded up to this signed anchor was changed, removed or reordered',
    )
    .option(
      '--public-key <pem>',
      "the anchor signer's public key (default: derived from LEDGER_ANCHOR_KEY_FILE)",
    )
    .action(async (options: { customer?: string; against?: string; publicKey?: string }) => {
      if (options.customer && options.against) {
        throw new Error('--against verifies the whole log: leave out --customer');
      }
      const anchor = options.against ? readAnchorFile(options.against) : undefined;
      const report = await runLedger(
        async (app) => {
          if (options.customer) return app.get(QueryBus).execute(new VerifyChains(options.customer));
          const store = app.get<EventStore>(EVENT_STORE);
          const keyFile = options.publicKey ?? app.get<LedgerConfig>(LEDGER_CONFIG).anchorKeyFile;
          if (anchor && !keyFile) {
            throw new Error('--against needs --public-key <pem> or LEDGER_ANCHOR_KEY_FILE');
          }
          const publicKey = anchor && keyFile ? readVerifyingKey(keyFile) : undefined;
          const bar = progressBar('verifying');
          bar.start(await store.lastPosition(), 0, { unit: 'events' });
          const onEvent = (event: RecordedEvent) => bar.update(event.position);
          const result =
            anchor && publicKey
              ? await verifyLogAgainstAnchor(store, anchor, publicKey, { onEvent })
              : await verifyLog(store, { onEvent });
          bar.stop();
          return result;
        },
        { fold: false },
      );
      print(report);
      if (!report.ok) process.exitCode = 1;
    });
}
