import { Command } from 'commander';
import { PiiCipher } from '../../../privacy/pii-cipher';
import { RunLedger } from '../ledger-run';
import { print } from '../terminal-output';

export function addRotateMasterKeyCommand(program: Command, runLedger: RunLedger): void {
  program
    .command('rotate-master-key')
    .description(
      'Rewrap every data key with LEDGER_MASTER_KEY; the old keys go in LEDGER_PREVIOUS_MASTER_KEYS until then',
    )
    .action(async () => {
      const rewrapped = await runLedger(async (app) => app.get(PiiCipher).rotateMasterKey());
      print({ rewrapped });
    });
}
