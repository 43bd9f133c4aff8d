import { Inject } from '@nestjs/common';
import { Command, CommandBus, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { LEDGER_CONFIG, LedgerConfig } from '../../config/ledger-config';
import {
  anonymousCustomerId,
  CUSTOMER_ID_PATTERN,
  customerStreamId,
  isAnonymousCustomerId,
} from '../../domain/customer-events';
import { CONTACT_CHANGE_ROLES, holdsAny, MERGE_ROLES, Role } from '../../config/api-keys';
import { DomainError, RejectedCommands } from '../../domain/domain-error';
import { EVENT_STORE, EventLocation, EventStore } from '../../ports/event-store.port';
import { PiiCipher } from '../../privacy/pii-cipher';
import { FieldProblem, RequestValidationError } from '../../validation/request-validation';
import {
  CommandEnvelope,
  CustomerLedger,
  RecordedOutcome,
  RecordingContext,
} from '../customers/customer-ledger';
import { MergeCustomers, MergeOutcome } from '../customers/merge-customers/merge-customers.command';
import { RecordingFieldsDto, toEnvelope } from '../customers/recording-fields.dto';
import { CustomerCommandBody } from '../../domain/customer.decider';
import { survivorOfRecord } from '../read-models/merged-records';
import { FieldMap } from './field-map';
import { changedTraits, KnownContactDetails } from './known-contact-details';
import {
  IdentifyTraits,
  KeptMessage,
  ParsedAliasMessage,
  RefusedMessage,
  ParsedIdentifyMessage,
  ParsedMessage,
  parseTrackingRequest,
  TrackingCall,
} from './tracking-messages';

/** The reason a contact-details change from a tracker's identify call is stored with. */
export const IDENTIFY_REASON = 'identify call of a tracker (tracking API)';

/** What became of one message, in request order. */
export interface MessageOutcome {
  readonly messageId?: string;
  /** The customer whose stream holds the event (a merged-away id's survivor). */
  readonly customerId?: string;
  readonly eventId?: string;
  readonly streamRevision?: number;
  readonly position?: number;
  /** The message was recorded before (a resend): nothing was appended. */
  readonly duplicate?: boolean;
  /** An identify whose traits the ledger already holds: nothing to record. */
  readonly unchanged?: boolean;
  /** Why an unmapped message was not recorded (LEDGER_TRACKING_UNMAPPED=skip). */
  readonly skipped?: string;
  /** The profile an identify or alias merged into the customer (a repeated merge answers its first outcome). */
  readonly merged?: MergeOutcome;
  /**
   * Why the record an identify or alias named was not merged: the visitor was merged into another customer
   * before, or the previous id is a registered customer and the key may not merge those (a write key).
   */
  readonly notMerged?: string;
  /** The message was kept as an EventTracked, as sent: why the ledger could not map it. */
  readonly notMapped?: readonly FieldProblem[];
  /** The message was not recorded: why (the other messages of the request were). */
  readonly refused?: { readonly code: string; readonly errors: readonly FieldProblem[] };
  /** Why an identify's traits for a registered customer were not recorded: the key may not change them. */
  readonly notChanged?: string;
}

/**
 * Some messages of a request were refused; the others were recorded. Answered with a 4xx status (or 503 when
 * a retry may get them through) so that the tracker hears of it, and every message's outcome.
 */
export class TrackingMessagesRefused extends Error {
  constructor(
    readonly results: readonly MessageOutcome[],
    /** Why each refused message was refused, in request order. */
    readonly causes: readonly (DomainError | RequestValidationError)[],
  ) {
    super(`${causes.length} of ${results.length} tracking messages refused`);
    this.name = 'TrackingMessagesRefused';
  }
}

export interface TrackingAnswer {
  /** Segment's answer field, kept for trackers that read it. */
  readonly success: true;
  readonly results: readonly MessageOutcome[];
}

/** Records the messages of one tracking API request: one Segment call or a batch. */
export class RecordTrackingMessages extends Command<TrackingAnswer> {
  constructor(
    readonly call: TrackingCall,
    readonly body: unknown,
    readonly context: RecordingContext,
    /** The roles of the caller's key: what a known customer's traits and merges need (api-keys.ts). */
    readonly roles: readonly Role[],
  ) {
    super();
  }
}

/** What the caller's key may do to registered customers through the tracking API. */
interface KeyScope {
  readonly changesContactDetails: boolean;
  readonly mergesRegisteredCustomers: boolean;
}

/** A ledger command planned for a message, and the message's map of fields for problems. */
interface PlannedCommand {
  readonly index: number;
  readonly envelope: CommandEnvelope;
  readonly fields: FieldMap;
}

type Step =
  | { readonly kind: 'commands'; readonly commands: PlannedCommand[] }
  | { readonly kind: 'merge'; readonly message: ParsedIdentifyMessage | ParsedAliasMessage };

/**
 * Segment messages through the ledger's one command path: touchpoints as `POST /v1/touchpoints` records them,
 * identify traits as a registration or a contact-details change (so personal data is encrypted the same way),
 * identify and alias links as customer merges. Every message is validated, and every identify decided, before
 * anything is appended; the commands between two merges are appended atomically, and a request without merges
 * is all or nothing.
 */
@CommandHandler(RecordTrackingMessages)
export class RecordTrackingMessagesHandler implements ICommandHandler<RecordTrackingMessages> {
  constructor(
    private readonly ledger: CustomerLedger,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly cipher: PiiCipher,
    private readonly commands: CommandBus,
    @Inject(LEDGER_CONFIG) private readonly config: LedgerConfig,
  ) {}

  async execute({ call, body, context, roles }: RecordTrackingMessages): Promise<TrackingAnswer> {
    const scope: KeyScope = {
      changesContactDetails: holdsAny(roles, CONTACT_CHANGE_ROLES),
      mergesRegisteredCustomers: holdsAny(roles, MERGE_ROLES),
    };
    const { messages, problems } = parseTrackingRequest(body, call, {
      unmapped: this.config.trackingUnmapped ?? 'keep',
      receivedAt: context.now,
    });
    if (problems.length > 0) throw new RequestValidationError(problems);
    const results: MessageOutcome[] = messages.map((message) => ({ messageId: message.messageId }));
    const causes = new Map<number, DomainError | RequestValidationError>();
    const refuse = (index: number, cause: DomainError | RequestValidationError) => {
      const errors =
        cause instanceof RequestValidationError
          ? cause.problems
          : [
              {
                field: cause.field ?? (index === 0 && call !== 'batch' ? 'body' : `batch[${index}]`),
                message: cause.message,
              },
            ];
      const code = cause instanceof RequestValidationError ? 'validation' : cause.code;
      results[index] = { ...results[index], refused: { code, errors } };
      causes.set(index, cause);
    };
    const steps = await this.plan(messages, results, context.now, refuse, scope);
    for (const step of steps) {
      if (step.kind === 'commands') {
        const outcomes = await this.record(step.commands, context);
        step.commands.forEach(({ index }, position) => {
          const outcome = outcomes[position]!;
          if (outcome instanceof DomainError) refuse(index, outcome);
          else results[index] = { ...results[index], ...outcome };
        });
      } else {
        const index = step.message.index;
        try {
          results[index] = { ...results[index], ...(await this.merge(step.message, context, scope)) };
        } catch (error) {
          if (error instanceof DomainError) refuse(index, error);
          else if (error instanceof RejectedCommands) refuse(index, error.errors[0]!);
          else throw error;
        }
      }
    }
    if (causes.size > 0) {
      throw new TrackingMessagesRefused(
        results,
        [...causes.entries()].sort(([a], [b]) => a - b).map(([, cause]) => cause),
      );
    }
    return { success: true, results };
  }

  /**
   * The ledger commands of every message, in order, cut into runs at each merge. Identify traits are compared
   * with what the ledger holds (and what earlier messages of the request record); a registration that lacks
   * traits is refused here, with every other such problem of the request, before anything is appended.
   */
  private async plan(
    messages: readonly ParsedMessage[],
    results: MessageOutcome[],
    now: Date,
    refuse: (index: number, cause: DomainError | RequestValidationError) => void,
    scope: KeyScope,
  ): Promise<Step[]> {
    const contacts = new KnownContactDetails(this.store, this.cipher);
    const identifyIds = messages.flatMap((message) =>
      message.kind === 'identify' && message.eventId ? [message.eventId] : [],
    );
    const stored = identifyIds.length > 0 ? await this.store.findEvents(identifyIds) : new Map();
    const steps: Step[] = [];
    let run: PlannedCommand[] = [];
    const endRun = () => {
      if (run.length > 0) steps.push({ kind: 'commands', commands: run });
      run = [];
    };
    /** A message's command in the current run; a time the server's clock gave is not compared on a resend. */
    const record = (
      { index, fields, time }: Exclude<ParsedMessage, RefusedMessage>,
      customerId: string,
      recording: RecordingFieldsDto,
      body: CustomerCommandBody,
    ) => {
      const envelope = toEnvelope(customerId, recording, now, body);
      run.push({ index, fields, envelope: { ...envelope, occurredAtDefaulted: time.fromServerClock } });
    };
    /** An unmapped message kept as sent: an EventTracked on its customer. */
    const keep = (message: KeptMessage) => {
      const { customerId, event, properties, notMapped } = message;
      const recording = {
        eventId: message.eventId,
        channel: message.channel,
        occurredAt: message.time.occurredAt.toISOString(),
      };
      record(message, customerId, recording, {
        kind: 'RecordTrackedEvent',
        data: { event, ...(properties !== undefined && { properties }) },
      });
      if (notMapped) results[message.index] = { ...results[message.index], notMapped };
    };
    for (const message of messages) {
      if (message.kind === 'refused') {
        refuse(message.index, new RequestValidationError([...message.problems]));
        continue;
      }
      const { index, fields } = message;
      switch (message.kind) {
        case 'skipped':
          results[index] = { ...results[index], skipped: message.reason };
          break;
        case 'kept':
          keep(message);
          break;
        case 'touchpoint': {
          const { envelope, touchpoint } = message.touchpoint;
          record(message, message.customerId, envelope, { kind: 'RecordTouchpoint', touchpoint });
          break;
        }
        case 'identify': {
          let registered = true;
          try {
            const storedAt = message.eventId ? stored.get(message.eventId.toLowerCase()) : undefined;
            const decided = await this.identify(message, contacts, storedAt, scope);
            if (decided === undefined) {
              results[index] = { ...results[index], customerId: message.customerId, unchanged: true };
            } else if ('notChanged' in decided) {
              results[index] = { ...results[index], customerId: message.customerId, ...decided };
            } else {
              run.push({ index, fields, envelope: decided });
            }
          } catch (error) {
            if (!(error instanceof DomainError)) throw error;
            if (error.code !== 'identify-cannot-register') {
              refuse(index, error);
              break;
            }
            // No registration without an e-mail and a name: the traits are kept as sent, nothing merged.
            registered = false;
            keep(keptIdentify(message, error));
          }
          if (message.anonymousCustomerId && registered) {
            endRun();
            steps.push({ kind: 'merge', message });
          } else if (message.anonymousCustomerId) {
            results[index] = {
              ...results[index],
              notMerged: `customer ${message.customerId} is not registered: the anonymous visitor stays apart`,
            };
          }
          break;
        }
        case 'alias':
          endRun();
          steps.push({ kind: 'merge', message });
          break;
        default:
          return assertNever(message);
      }
    }
    endRun();
    return steps;
  }

  /**
   * The registration (unknown customer) or contact-details change (traits that differ) an identify asks for,
   * or none when the ledger holds these traits already. A resent identify rebuilds the command its first
   * delivery recorded, so that the ledger answers a duplicate, or 409 when the traits differ. Traits that
   * would change a registered customer's details from a key that may not (a write key) are not recorded: the
   * answer says why, and the rest of the request is recorded.
   */
  private async identify(
    message: ParsedIdentifyMessage,
    contacts: KnownContactDetails,
    storedAt: EventLocation | undefined,
    scope: KeyScope,
  ): Promise<CommandEnvelope | { notChanged: string } | undefined> {
    const { traits, fields } = message;
    // A merged-away id stands for its survivor: the ledger records there, so that is where traits compare.
    const customerId = await survivorOfRecord(this.store, message.customerId);
    const current = await contacts.of(customerId);
    const recordedBefore = storedAt && (await this.storedType(storedAt, customerId));
    const envelope = (command: CommandEnvelope['command']): CommandEnvelope => ({
      customerId: message.customerId,
      eventId: message.eventId,
      channel: message.channel,
      occurredAtDefaulted: message.time.fromServerClock,
      command,
    });
    const occurredAt = message.time.occurredAt;
    if (recordedBefore?.type === 'CustomerRegistered' || (!recordedBefore && !current.registered)) {
      const missing = (['email', 'name'] as const).filter((field) => traits[field] === undefined);
      if (missing.length > 0) {
        throw new DomainError(
          'invalid',
          'identify-cannot-register',
          `customer ${customerId} is not registered: an identify registers it and needs traits.email and traits.name (or firstName and lastName); ${missing.join(' and ')} missing`,
          fields.messagePath(missing[0]!),
        );
      }
      contacts.recorded(customerId, traits);
      const { name, email, phone } = traits;
      return envelope({ kind: 'RegisterCustomer', data: { name: name!, email: email!, phone }, occurredAt });
    }
    const changed: IdentifyTraits = {
      ...pick(traits, recordedBefore?.fields ?? []),
      ...changedTraits(traits, current.details),
    };
    if (Object.keys(changed).length === 0) return undefined;
    if (!recordedBefore && !scope.changesContactDetails) {
      return {
        notChanged: `customer ${customerId} is registered: its contact details change only with a server-side key (role ${CONTACT_CHANGE_ROLES.join(' or ')}), never with a write key; the traits were not recorded`,
      };
    }
    contacts.recorded(customerId, changed);
    return envelope({
      kind: 'ChangeContactDetails',
      data: { ...changed, reason: IDENTIFY_REASON },
      occurredAt,
    });
  }

  /** The type of the event an identify's message id recorded before, and which contact fields it held. */
  private async storedType(
    location: EventLocation,
    customerId: string,
  ): Promise<{ type: string; fields: readonly (keyof IdentifyTraits)[] } | undefined> {
    if (location.streamId !== customerStreamId(customerId)) return undefined;
    const [stored] = await this.store.readStream(location.streamId, {
      fromRevision: location.streamRevision,
      maxCount: 1,
    });
    if (!stored) return undefined;
    const fields = (['name', 'email', 'phone'] as const).filter((field) => stored.data[field] !== undefined);
    return { type: stored.type, fields };
  }

  /**
   * The commands of one run, atomically when the ledger takes them all; else each on its own, so that one
   * refused message does not keep the others out. The ledger's refusals are named in the tracker's terms.
   */
  private async record(
    commands: readonly PlannedCommand[],
    context: RecordingContext,
  ): Promise<(RecordedOutcome | DomainError)[]> {
    try {
      return await this.recordAtomically(commands, context);
    } catch (error) {
      if (!(error instanceof DomainError || error instanceof RejectedCommands)) throw error;
      if (commands.length === 1) return [error instanceof DomainError ? error : error.errors[0]!];
    }
    const outcomes: (RecordedOutcome | DomainError)[] = [];
    for (const command of commands) outcomes.push(...(await this.record([command], context)));
    return outcomes;
  }

  private async recordAtomically(
    commands: readonly PlannedCommand[],
    context: RecordingContext,
  ): Promise<RecordedOutcome[]> {
    try {
      return await this.ledger.execute(
        commands.map((command) => command.envelope),
        { ...context, fieldPath: (position) => `${RUN_MARK}${position}${RUN_MARK}` },
      );
    } catch (error) {
      const rename = (each: DomainError) => renameField(each, commands);
      if (error instanceof DomainError) throw rename(error);
      if (error instanceof RejectedCommands) throw new RejectedCommands(error.errors.map(rename));
      if (error instanceof RequestValidationError) {
        throw new RequestValidationError(error.problems.map((problem) => renameProblem(problem, commands)));
      }
      throw error;
    }
  }

  /**
   * The merge an identify (anonymousId into userId) or an alias (previousId into userId) asks for. An alias's
   * previousId is a customer's id when one has a history under it, else an anonymous visitor's (an empty
   * anonymous profile is merged too, so that its late events join the customer). A visitor already merged into
   * another customer (a shared device) stays there: the identify answers why, and records what else it asked.
   */
  private async merge(
    message: ParsedIdentifyMessage | ParsedAliasMessage,
    context: RecordingContext,
    scope: KeyScope,
  ): Promise<Pick<MessageOutcome, 'merged' | 'notMerged'>> {
    const survivorId = message.kind === 'identify' ? message.customerId : message.survivorId;
    const duplicateId =
      message.kind === 'identify'
        ? message.anonymousCustomerId!
        : CUSTOMER_ID_PATTERN.test(message.previousId) &&
            (await this.store.streamRevision(customerStreamId(message.previousId))) >= 0
          ? message.previousId
          : anonymousCustomerId(message.previousId);
    // Only a registered customer or an anonymous visitor can be merged: a customer id here is a registered one.
    if (!isAnonymousCustomerId(duplicateId) && !scope.mergesRegisteredCustomers) {
      return {
        notMerged: `${duplicateId} is a registered customer: merging it into another needs a server-side key (role ${MERGE_ROLES.join(' or ')}), never a write key`,
      };
    }
    try {
      return {
        merged: await this.commands.execute(new MergeCustomers({ survivorId, duplicateId }, context)),
      };
    } catch (error) {
      // Both sides of a merge are decided: one broken rule may be reported by each.
      const errors =
        error instanceof DomainError ? [error] : error instanceof RejectedCommands ? error.errors : undefined;
      if (!errors) throw error;
      if (message.kind === 'identify' && errors.every((each) => each.code === 'customer-merged')) {
        return { notMerged: errors[0]!.message };
      }
      const duplicateField = message.kind === 'identify' ? 'anonymousId' : 'previousId';
      const fields = new FieldMap(message.fields.prefix)
        .from('survivorId', 'userId')
        .from('customerId', 'userId')
        .from('duplicateId', duplicateField);
      const renamed = new Map<string, DomainError>();
      for (const each of errors) {
        const field = fields.messagePath(each.field || duplicateField);
        renamed.set(`${field}\n${each.message}`, new DomainError(each.kind, each.code, each.message, field));
      }
      const [first, ...others] = renamed.values();
      throw others.length === 0 ? first! : new RejectedCommands([first!, ...others]);
    }
  }
}

/** Marks the run position in a field path the ledger reports, to be replaced by the message's own path. */
const RUN_MARK = '\u0000';

function renameField(error: DomainError, commands: readonly PlannedCommand[]): DomainError {
  const match = new RegExp(`^${RUN_MARK}(\\d+)${RUN_MARK}(.*)$`).exec(error.field ?? '');
  if (!match) return error;
  const { fields } = commands[Number(match[1])]!;
  const rest = match[2]!;
  const field = rest === '' ? fields.prefix.replace(/\.$/, '') || undefined : fields.messagePath(rest);
  const message = error.message.split(error.field!).join(field ?? 'the message');
  return new DomainError(error.kind, error.code, message, field);
}

/** An identify that cannot register its customer, kept as sent: its traits, and why it was not mapped. */
function keptIdentify(message: ParsedIdentifyMessage, refusal: DomainError): KeptMessage {
  const traits = Object.fromEntries(
    Object.entries(message.traits).filter(([, value]) => value !== undefined),
  );
  return {
    ...message,
    kind: 'kept',
    event: 'identify',
    ...(Object.keys(traits).length > 0 && { properties: JSON.stringify({ traits }) }),
    notMapped: [{ field: refusal.field ?? `${message.fields.prefix}traits`, message: refusal.message }],
  };
}

/** A problem the ledger found in the stored shape of a run's command, named in the message's terms. */
function renameProblem(problem: FieldProblem, commands: readonly PlannedCommand[]): FieldProblem {
  const match = new RegExp(`^${RUN_MARK}(\\d+)${RUN_MARK}(.*)$`).exec(problem.field);
  return match ? commands[Number(match[1])]!.fields.problem({ ...problem, field: match[2]! }) : problem;
}

function pick(traits: IdentifyTraits, fields: readonly (keyof IdentifyTraits)[]): IdentifyTraits {
  return Object.fromEntries(
    fields.filter((field) => traits[field] !== undefined).map((field) => [field, traits[field]]),
  );
}

function assertNever(value: never): never {
  throw new Error(`unhandled message: ${JSON.stringify(value)}`);
}
