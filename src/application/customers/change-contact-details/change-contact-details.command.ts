import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CustomerLedger, RecordedOutcome, RecordingContext } from '../customer-ledger';
import { toEnvelope } from '../recording-fields.dto';
import { ChangeContactDetailsDto } from './change-contact-details.dto';

export class ChangeContactDetails extends Command<RecordedOutcome> {
  constructor(
    readonly customerId: string,
    readonly body: ChangeContactDetailsDto,
    readonly context: RecordingContext,
  ) {
    super();
  }
}

@CommandHandler(ChangeContactDetails)
export class ChangeContactDetailsHandler implements ICommandHandler<ChangeContactDetails> {
  constructor(private readonly ledger: CustomerLedger) {}

  async execute({ customerId, body, context }: ChangeContactDetails): Promise<RecordedOutcome> {
    const { name, email, phone, reason } = body;
    const envelope = toEnvelope(customerId, body, context.now, {
      kind: 'ChangeContactDetails',
      data: { name, email, phone, reason },
    });
    const [outcome] = await this.ledger.execute([envelope], context);
    return outcome!;
  }
}
