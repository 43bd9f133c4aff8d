import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CustomerLedger, RecordedOutcome, RecordingContext } from '../customer-ledger';
import { toEnvelope } from '../recording-fields.dto';
import { RecordConsentDto } from './record-consent.dto';

export class RecordConsent extends Command<RecordedOutcome> {
  constructor(
    readonly customerId: string,
    readonly body: RecordConsentDto,
    readonly context: RecordingContext,
  ) {
    super();
  }
}

@CommandHandler(RecordConsent)
export class RecordConsentHandler implements ICommandHandler<RecordConsent> {
  constructor(private readonly ledger: CustomerLedger) {}

  async execute({ customerId, body, context }: RecordConsent): Promise<RecordedOutcome> {
    const { purpose, granted, legalBasis } = body;
    const envelope = toEnvelope(customerId, body, context.now, {
      kind: 'RecordConsent',
      purpose,
      granted,
      legalBasis,
    });
    const [outcome] = await this.ledger.execute([envelope], context);
    return outcome!;
  }
}
