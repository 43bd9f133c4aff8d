import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CustomerLedger, RecordedOutcome, RecordingContext } from '../customer-ledger';
import { toEnvelope } from '../recording-fields.dto';
import { ParsedTouchpoint } from './touchpoint.dto';

/** Records one or more validated touchpoints, all or nothing. */
export class RecordTouchpoints extends Command<RecordedOutcome[]> {
  constructor(
    readonly touchpoints: readonly ParsedTouchpoint[],
    readonly context: RecordingContext,
  ) {
    super();
  }
}

@CommandHandler(RecordTouchpoints)
export class RecordTouchpointsHandler implements ICommandHandler<RecordTouchpoints> {
  constructor(private readonly ledger: CustomerLedger) {}

  execute({ touchpoints, context }: RecordTouchpoints): Promise<RecordedOutcome[]> {
    const envelopes = touchpoints.map(({ envelope, touchpoint }) =>
      toEnvelope(envelope.customerId, envelope, context.now, { kind: 'RecordTouchpoint', touchpoint }),
    );
    return this.ledger.execute(envelopes, context);
  }
}
