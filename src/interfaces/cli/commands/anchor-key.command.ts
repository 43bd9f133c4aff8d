import { Command } from 'commander';
import { resolve } from 'node:path';
import { isInsideDirectory, loadConfigOrExit } from '../../../config/ledger-config';
import { writeAnchorKeyPair } from '../anchor-files';

export function addAnchorKeyCommand(program: Command): void {
  program
    .command('anchor-key')
    .description(
      'Make an Ed25519 key pair for anchors: the private key (LEDGER_ANCHOR_KEY_FILE) outside DATA_DIR, the public key for verifiers',
    )
    .requiredOption('--out <file>', 'where to write the private key (PEM, readable by its owner only)')
    .option('--public-out <file>', 'where to write the public key (default: <out>.pub)')
    .action((options: { out: string; publicOut?: string }) => {
      const { dataDir } = loadConfigOrExit();
      const publicOut = options.publicOut ?? `${options.out}.pub`;
      if (isInsideDirectory(dataDir, options.out)) {
        throw new Error(
          `${options.out} is inside DATA_DIR (${dataDir}): whoever can alter the data could then sign anchors for it; keep the key on another disk or host`,
        );
      }
      const { keyId, publicKeyPem } = writeAnchorKeyPair(options.out, publicOut);
      process.stdout.write(publicKeyPem);
      console.error(
        `private key: ${resolve(options.out)} (set LEDGER_ANCHOR_KEY_FILE to it); public key ${keyId}: ${resolve(publicOut)}`,
      );
    });
}
