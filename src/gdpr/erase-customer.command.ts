import { Inject } from '@nestjs/common';
import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { IsOptional, IsString, Length } from 'class-validator';
import { v7 as uuidv7 } from 'uuid';
import { CustomerLedger, RecordingContext } from '../customers/customer-ledger';
import { customerStreamId } from '../customers/domain/customer-events';
import { DomainError } from '../customers/domain/domain-error';
import { unknownCustomer } from '../customers/domain/domain-error';
import { EVENT_STORE, EventStore } from '../event-store/event-store.port';
import { EmailDirectory } from './email-directory';
import { PiiCipher } from './pii-cipher';
import { SUBJECT_KEY_STORE, SubjectKeyStore } from './subject-key-store.port';

export class EraseCustomerParams {
  /** The data-subject request this erasure answers (generated when absent). */
  @IsOptional() @IsString() @Length(1, 128) requestId?: string;
  @IsOptional() @IsString() @Length(1, 500) reason?: string;
}

export interface ErasureReport {
  readonly customerId: string;
  readonly requestId: string;
  /** True when the customer was erased before: nothing was left to do, or only an interrupted erasure finished. */
  readonly alreadyErased: boolean;
  readonly erasedAt: string;
  readonly stores: readonly { readonly store: string; readonly action: string }[];
}

/** Crypto-shredding: record CustomerErased, destroy the data key, remove blind-index entries; report each store. */
export class EraseCustomer extends Command<ErasureReport> {
  constructor(
    readonly customerId: string,
    readonly params: EraseCustomerParams,
    readonly context: RecordingContext,
  ) {
    super();
  }
}

@CommandHandler(EraseCustomer)
export class EraseCustomerHandler implements ICommandHandler<EraseCustomer> {
  constructor(
    private readonly ledger: CustomerLedger,
    private readonly cipher: PiiCipher,
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(SUBJECT_KEY_STORE) private readonly keys: SubjectKeyStore,
    private readonly emailDirectory: EmailDirectory,
  ) {}

  async execute({ customerId, params, context }: EraseCustomer): Promise<ErasureReport> {
    if ((await this.events.streamRevision(customerStreamId(customerId))) < 0)
      throw unknownCustomer(customerId);
    const requestId = params.requestId ?? uuidv7();
    const stores: { store: string; action: string }[] = [];

    // The fact first: should anything below fail, repeating the erasure finishes it.
    let alreadyErased = false;
    try {
      const [recorded] = await this.ledger.execute(
        [
          {
            customerId,
            command: {
              kind: 'EraseCustomer',
              occurredAt: context.now,
              requestId,
              reason: params.reason ?? 'erasure request',
            },
          },
        ],
        context,
      );
      stores.push({
        store: 'event store',
        action: `CustomerErased appended at position ${recorded!.position}; personal fields stay as ciphertext that no key opens`,
      });
    } catch (error) {
      if (!(error instanceof DomainError && error.code === 'customer-erased')) throw error;
      alreadyErased = true;
    }

    const key = await this.keys.destroy(customerId);
    this.cipher.forget(customerId);
    if (key !== 'already-erased') {
      stores.push({
        store: 'subject key store',
        action:
          key === 'destroyed'
            ? 'data key destroyed; file checkpointed with secure_delete'
            : 'no data key existed; tombstone written',
      });
    }

    const removed = await this.emailDirectory.remove(customerId);
    if (removed > 0) stores.push({ store: 'e-mail blind index', action: `${removed} entries removed` });
    if (!alreadyErased) {
      stores.push({
        store: 'read models',
        action:
          'customer summary drops name, e-mail and phone when it folds CustomerErased; timeline shows them as erased',
      });
    }
    return { customerId, requestId, alreadyErased, erasedAt: context.now.toISOString(), stores };
  }
}
