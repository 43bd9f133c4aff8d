import { LocalAccounts } from '../../../application/staff-auth/local-accounts';
import { Command } from 'commander';
import { LEDGER_CONFIG, LedgerConfig } from '../../../config/ledger-config';
import { RunLedger } from '../ledger-run';
import { print } from '../terminal-output';
import { list } from '../option-values';

export function addStaffInviteCommand(program: Command, runLedger: RunLedger): void {
  program
    .command('staff-invite')
    .description(
      'Invites a person to a local staff account (LEDGER_LOCAL_ACCOUNTS=on); prints the invitation link',
    )
    .argument('<username>')
    .requiredOption('--name <displayName>', "the person's name as the log shows it")
    .requiredOption('--roles <roles>', 'comma-separated: rep, analyst, auditor, admin')
    .action(async (username: string, options: { name: string; roles: string }) => {
      const { publicUrl, invitation } = await runLedger(async (app) => ({
        publicUrl: app.get<LedgerConfig>(LEDGER_CONFIG).staffSignIn?.publicUrl,
        invitation: await app
          .get(LocalAccounts)
          .invite({ username, displayName: options.name, roles: list(options.roles) }, new Date()),
      }));
      print({
        username: invitation.username,
        invitationUrl: `${publicUrl}/invitation.html#${invitation.token}`,
        expiresAt: invitation.expiresAt,
      });
    });
}
