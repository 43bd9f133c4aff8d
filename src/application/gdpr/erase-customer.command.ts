import { Inject } from '@nestjs/common';
import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { IsString, Length } from 'class-validator';
import { v7 as uuidv7 } from 'uuid';
import { CustomerLedger, RecordingContext } from '../customers/customer-ledger';
import { customerStreamId } from '../../domain/customer-events';
import { DomainError } from '../../domain/domain-error';
import { unknownCustomer } from '../../domain/domain-error';
import { EVENT_STORE, EventStore, RecordedEvent } from '../../ports/event-store.port';
import { READ_STORE, ReadStore } from '../../ports/read-store.port';
import { EmailDirectory } from '../../privacy/email-directory';
import { PiiCipher } from '../../privacy/pii-cipher';
import { SUBJECT_KEY_STORE, SubjectKeyStore } from '../../ports/subject-key-store.port';
import { mergedRecordIds, survivorOfRecord } from '../read-models/merged-records';
import { IsOmittable } from '../../validation/validators';

export class EraseCustomerParams {
  /** The data-subject request this erasure answers (generated when absent). */
  @IsOmittable() @IsString() @Length(1, 128) requestId?: string;
  @IsOmittable() @IsString() @Length(1, 500) reason?: string;
}

/** One store an erasure touched and what it did there. */
export interface StoreAction {
  readonly store: string;
  readonly action: string;
}

/** Something a repeated erasure found unfinished (an interrupted erasure) and finished, and when. */
export interface FinishedStoreAction extends StoreAction {
  readonly finishedAt: string;
}

export interface ErasureReport {
  readonly customerId: string;
  /** The data-subject request of the original erasure; a repeat answers with it, whatever it was given. */
  readonly requestId: string;
  /** True when the customer was erased before: this is the original report. */
  readonly alreadyErased: boolean;
  /** When the original erasure was recorded (the CustomerErased event's recordedAt). */
  readonly erasedAt: string;
  /** The log position of the CustomerErased event: reads given it as minimum position show the erasure. */
  readonly position: number;
  /** The stores the original erasure touched. */
  readonly stores: readonly StoreAction[];
  /**
   * True when the original report was lost (the erasure was interrupted before it was kept) and was rebuilt
   * from the CustomerErased event and the stores as they were found.
   */
  readonly reconstructed?: true;
  /** What earlier repeats found unfinished and finished; absent when nothing was. */
  readonly finishedLater?: readonly FinishedStoreAction[];
  /** What this repeat found unfinished and finished now; absent when nothing was. */
  readonly finishedNow?: readonly StoreAction[];
}

/** The report as kept in the read store: customer id, request id, times and store names, no personal data. */
type KeptErasureReport = Omit<ErasureReport, 'alreadyErased' | 'finishedNow'>;

/** Where the original report of a customer's erasure is kept (ReadStore state), so it survives restarts. */
export function erasureReportKey(customerId: string): string {
  return `erasure-report:${customerId}`;
}

const READ_MODELS_ACTION: StoreAction = {
  store: 'read models',
  action:
    'customer summary drops name, e-mail and phone when it folds CustomerErased; timeline shows them as erased',
};

const ERASED_EVENT_PAGE = 50;

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
    @Inject(READ_STORE) private readonly reads: ReadStore,
    private readonly emailDirectory: EmailDirectory,
  ) {}

  async execute({ customerId: requested, params, context }: EraseCustomer): Promise<ErasureReport> {
    // A record merged into another is erased with it: the person is the survivor and every merged record.
    const customerId = await survivorOfRecord(this.events, requested);
    // Nothing is appended after CustomerErased, so the last event tells whether this is a repeat.
    const [last] = await this.events.readStream(customerStreamId(customerId), {
      direction: 'backwards',
      maxCount: 1,
    });
    if (!last) throw unknownCustomer(customerId);
    if (last.type !== 'CustomerErased') {
      const report = await this.eraseForTheFirstTime(customerId, params, context);
      if (report) return report;
    }
    return this.answerRepeat(customerId, context.now);
  }

  /** The erasure itself; undefined when a concurrent erasure recorded CustomerErased first. */
  private async eraseForTheFirstTime(
    customerId: string,
    params: EraseCustomerParams,
    context: RecordingContext,
  ): Promise<ErasureReport | undefined> {
    const requestId = params.requestId ?? uuidv7();
    // The fact first: should anything below fail, repeating the erasure finds the event and finishes it.
    let position: number;
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
      position = recorded!.position;
    } catch (error) {
      if (error instanceof DomainError && error.code === 'customer-erased') return undefined;
      throw error;
    }
    const stores: StoreAction[] = [eventStoreAction(position)];
    const shredded = await this.shred(customerId);
    if (shredded.keyStore) stores.push(shredded.keyStore);
    if (shredded.blindIndex) stores.push(shredded.blindIndex);
    stores.push(READ_MODELS_ACTION);
    const kept: KeptErasureReport = {
      customerId,
      requestId,
      erasedAt: context.now.toISOString(),
      position,
      stores,
    };
    await this.reads.setState(erasureReportKey(customerId), kept);
    return answerOf(kept, false);
  }

  /** The original report, after finishing whatever an interrupted erasure left in the key store or the index. */
  private async answerRepeat(customerId: string, now: Date): Promise<ErasureReport> {
    const kept = await this.reads.getState<KeptErasureReport>(erasureReportKey(customerId));
    const shredded = await this.shred(customerId);
    const report = kept ?? (await this.reportFromEvent(customerId, shredded.keyStoreOutcome));
    const finishedNow = [shredded.keyStore, shredded.blindIndex].filter(
      (entry): entry is StoreAction => entry !== undefined,
    );

    // Kept once rebuilt, and again whenever a repeat finished something, so later repeats answer the same.
    if (!kept || finishedNow.length > 0) {
      const finishedAt = now.toISOString();
      const finishedLater = [
        ...(report.finishedLater ?? []),
        ...finishedNow.map((entry) => ({ ...entry, finishedAt })),
      ];
      await this.reads.setState(erasureReportKey(customerId), {
        ...report,
        ...(finishedLater.length > 0 ? { finishedLater } : {}),
      } satisfies KeptErasureReport);
    }
    return {
      ...answerOf(report, true),
      ...(finishedNow.length > 0 ? { finishedNow } : {}),
    };
  }

  /**
   * The original report rebuilt when it was never kept (the erasure stopped between its event and the end):
   * request id, time and position from CustomerErased, the key store's tombstone when one was there already.
   */
  private async reportFromEvent(
    customerId: string,
    keyStoreOutcome: KeyStoreOutcome,
  ): Promise<KeptErasureReport> {
    const erased = await this.erasureEvent(customerId);
    const stores: StoreAction[] = [eventStoreAction(erased.position)];
    // A tombstone found before this repeat destroyed anything was left by the original erasure.
    if (keyStoreOutcome === 'already-erased') {
      stores.push({
        store: 'subject key store',
        action: 'no data key left; its tombstone shows it was destroyed',
      });
    }
    stores.push(READ_MODELS_ACTION);
    return {
      customerId,
      requestId: String(erased.data.requestId),
      erasedAt: String(erased.metadata.recordedAt),
      position: erased.position,
      stores,
      reconstructed: true,
    };
  }

  /** The customer's CustomerErased event, read backwards from the end of the stream. */
  private async erasureEvent(customerId: string): Promise<RecordedEvent> {
    const streamId = customerStreamId(customerId);
    for (let fromRevision: number | undefined; fromRevision === undefined || fromRevision >= 0;) {
      const page = await this.events.readStream(streamId, {
        direction: 'backwards',
        fromRevision,
        maxCount: ERASED_EVENT_PAGE,
      });
      const erased = page.find((event) => event.type === 'CustomerErased');
      if (erased) return erased;
      if (page.length < ERASED_EVENT_PAGE) break;
      fromRevision = page[page.length - 1]!.streamRevision - 1;
    }
    throw new Error(`${streamId} refuses new data as erased but holds no CustomerErased event`);
  }

  /**
   * Destroys the data keys and the blind-index entries of the customer and of every record merged into it;
   * says what each store did, if anything.
   */
  private async shred(customerId: string): Promise<{
    keyStoreOutcome: KeyStoreOutcome;
    keyStore?: StoreAction;
    blindIndex?: StoreAction;
  }> {
    const records = await mergedRecordIds(this.events, customerId);
    const outcomes: KeyStoreOutcome[] = [];
    let removed = 0;
    for (const record of records) {
      outcomes.push(await this.keys.destroy(record));
      this.cipher.forget(record);
      removed += await this.emailDirectory.remove(record);
    }
    const keyStoreOutcome =
      (['destroyed', 'no-key'] as const).find((outcome) => outcomes.includes(outcome)) ?? 'already-erased';
    const keyStore = keyStoreActionOf(keyStoreOutcome, this.keys);
    return {
      keyStoreOutcome,
      keyStore:
        keyStore && records.length > 1
          ? { ...keyStore, action: `${keyStore.action} (records ${records.join(', ')})` }
          : keyStore,
      blindIndex:
        removed > 0 ? { store: 'e-mail blind index', action: `${removed} entries removed` } : undefined,
    };
  }
}

type KeyStoreOutcome = Awaited<ReturnType<SubjectKeyStore['destroy']>>;

/** What the key store did, or undefined when it had nothing left to do (a tombstone was there). */
function keyStoreActionOf(outcome: KeyStoreOutcome, keys: SubjectKeyStore): StoreAction | undefined {
  switch (outcome) {
    case 'destroyed':
      return { store: 'subject key store', action: `data key destroyed. ${keys.keyDestruction}` };
    case 'no-key':
      return { store: 'subject key store', action: 'no data key existed; tombstone written' };
    case 'already-erased':
      return undefined;
  }
}

function eventStoreAction(position: number): StoreAction {
  return {
    store: 'event store',
    action: `CustomerErased appended at position ${position}; personal fields stay as ciphertext that no key opens`,
  };
}

function answerOf(kept: KeptErasureReport, alreadyErased: boolean): ErasureReport {
  const { customerId, requestId, erasedAt, position, stores, reconstructed, finishedLater } = kept;
  return {
    customerId,
    requestId,
    alreadyErased,
    erasedAt,
    position,
    stores,
    ...(reconstructed ? { reconstructed } : {}),
    ...(finishedLater && finishedLater.length > 0 ? { finishedLater } : {}),
  };
}
