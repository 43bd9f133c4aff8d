import { ReadStaffActivity } from '../../../application/staff-auth/staff-activity.query';
import { QueryBus } from '@nestjs/cqrs';
import { Command } from 'commander';
import { actor, RunLedger } from '../ledger-run';
import { print } from '../terminal-output';

export function addStaffActivityCommand(program: Command, runLedger: RunLedger): void {
  program
    .command('staff-activity')
    .description(
      'Everything one person or key principal read or changed in a period (auditors); the listing is recorded',
    )
    .argument('<subject>', 'the actor: sso:<subject>, or a key principal')
    .requiredOption('--from <time>', 'ISO 8601 start, e.g. 2026-11-01T00:00:00Z')
    .requiredOption('--to <time>', 'ISO 8601 end')
    .action(async (subject: string, options: { from: string; to: string }) => {
      for (const [name, value] of Object.entries(options)) {
        if (Number.isNaN(Date.parse(value)))
          throw new Error(`--${name} must be an ISO 8601 time, not ${value}`);
      }
      const activity = await runLedger((app) =>
        app
          .get(QueryBus)
          .execute(new ReadStaffActivity(subject, options, { actor, requestId: 'cli:staff-activity' })),
      );
      print(activity);
    });
}
