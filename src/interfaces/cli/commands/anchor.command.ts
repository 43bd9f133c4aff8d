import { Command } from 'commander';
import { resolve } from 'node:path';
import { LEDGER_CONFIG, LedgerConfig } from '../../../config/ledger-config';
import { EVENT_STORE, EventStore } from '../../../ports/event-store.port';
import { anchorText } from '../../../application/gdpr/anchor';
import { anchorLog } from '../../../application/gdpr/log-verification';
import { readSigningKey, writeFileAtomically } from '../anchor-files';
import { RunLedger } from '../ledger-run';
import { print, progressBar } from '../terminal-output';

export function addAnchorCommand(program: Command, runLedger: RunLedger): void {
  program
    .command('anchor')
    .description(
      'Verify the log, then write a signed anchor of every stream head, the counts and a digest of the order (exit 1, and no anchor, when the log does not verify)',
    )
    .requiredOption(
      '--out <file>',
      'the anchor file, written atomically; keep anchors away from the database host',
    )
    .action(async (options: { out: string }) => {
      const result = await runLedger(
        async (app) => {
          const { anchorKeyFile } = app.get<LedgerConfig>(LEDGER_CONFIG);
          if (!anchorKeyFile) {
            throw new Error(
              'LEDGER_ANCHOR_KEY_FILE is not set: make a key with `npm run ledger -- anchor-key --out <file>` outside DATA_DIR',
            );
          }
          const privateKey = readSigningKey(anchorKeyFile);
          const store = app.get<EventStore>(EVENT_STORE);
          const bar = progressBar('anchoring');
          bar.start(await store.lastPosition(), 0, { unit: 'events' });
          const anchored = await anchorLog(store, privateKey, {
            onEvent: (event) => bar.update(event.position),
            now: new Date(),
          });
          bar.stop();
          if (anchored.anchor) await writeFileAtomically(options.out, anchorText(anchored.anchor));
          return anchored;
        },
        { fold: false },
      );
      if (!result.anchor) {
        console.error('the log does not verify: no anchor written');
        print(result.report);
        process.exitCode = 1;
        return;
      }
      const { position, events, streams, createdAt, keyId } = result.anchor.statement;
      print({ anchor: resolve(options.out), position, events, streams, createdAt, keyId });
    });
}
