import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CustomerLedger, RecordedOutcome, RecordingContext } from '../customer-ledger';
import { toEnvelope } from '../recording-fields.dto';
import { RegisterCustomerDto } from './register-customer.dto';

export class RegisterCustomer extends Command<RecordedOutcome> {
  constructor(
    readonly body: RegisterCustomerDto,
    readonly context: RecordingContext,
  ) {
    super();
  }
}

@CommandHandler(RegisterCustomer)
export class RegisterCustomerHandler implements ICommandHandler<RegisterCustomer> {
  constructor(private readonly ledger: CustomerLedger) {}

  async execute({ body, context }: RegisterCustomer): Promise<RecordedOutcome> {
    const { customerId, name, email, phone, country, source } = body;
    const [outcome] = await this.ledger.execute(
      [
        toEnvelope(customerId, body, context.now, {
          kind: 'RegisterCustomer',
          data: { name, email, phone, country, source },
        }),
      ],
      context,
    );
    return outcome!;
  }
}
