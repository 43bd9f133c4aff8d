import { Inject } from '@nestjs/common';
import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { IsBoolean, IsIn, IsString, Length, Matches, ValidateBy } from 'class-validator';
import { v7 as uuidv7 } from 'uuid';
import { EVENT_CATALOG, isCustomerEventType } from '../../domain/customer-events';
import { EVENT_STORE, EventStore } from '../../ports/event-store.port';
import { RequestValidationError } from '../../validation/request-validation';
import { RecordingContext } from '../customers/customer-ledger';
import {
  Subscription,
  SUBSCRIPTION_FORMATS,
  SubscriptionFormat,
  subscriptionPrincipal,
} from './subscription';
import { SubscriptionDeliveries } from './subscription-deliveries';
import { SubscriptionSecrets } from './subscription-secrets';
import { SubscriptionStore } from './subscription-store';
import { SubscriptionView, SubscriptionViews } from './subscription-views';
import { IsOmittable } from '../../validation/validators';
import { WebhookTargets } from './webhook-targets';

const MAX_URL_LENGTH = 2048;

/** Why a URL cannot be a subscription's, or undefined when it can. */
export function webhookUrlProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > MAX_URL_LENGTH) {
    return `must be an http or https URL of at most ${MAX_URL_LENGTH} characters`;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute http or https URL, e.g. https://crm.example.com/hooks/ledger';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must use http or https';
  // Listings show the URL to every admin: a password belongs in the signing secret, not here.
  if (url.username !== '' || url.password !== '') return 'must not hold a user name or password';
  return undefined;
}

const IsWebhookUrl = () =>
  ValidateBy({
    name: 'isWebhookUrl',
    validator: {
      validate: (value) => webhookUrlProblem(value) === undefined,
      defaultMessage: (args) => `${args?.property} ${webhookUrlProblem(args?.value)}`,
    },
  });

const KNOWN_TYPES = Object.keys(EVENT_CATALOG).join(', ');

/** "all", or a non-empty list of distinct stored event types. */
const IsEventTypeSelection = () =>
  ValidateBy({
    name: 'isEventTypeSelection',
    validator: {
      validate: (value) =>
        value === 'all' ||
        (Array.isArray(value) &&
          value.length > 0 &&
          new Set(value).size === value.length &&
          value.every((type) => typeof type === 'string' && isCustomerEventType(type))),
      defaultMessage: (args) => {
        const unknown = Array.isArray(args?.value)
          ? args.value.filter((type: unknown) => typeof type !== 'string' || !isCustomerEventType(type))
          : [];
        return unknown.length > 0
          ? `${args?.property} holds unknown event types (${unknown.map(String).join(', ')}); known: ${KNOWN_TYPES}`
          : `${args?.property} must be "all" or a non-empty list of distinct event types: ${KNOWN_TYPES}`;
      },
    },
  });

/** "now", "beginning", or a non-negative integer position. */
const IsStartFrom = () =>
  ValidateBy({
    name: 'isStartFrom',
    validator: {
      validate: (value) =>
        value === 'now' || value === 'beginning' || (Number.isSafeInteger(value) && (value as number) >= 0),
      defaultMessage: (args) =>
        `${args?.property} must be "now", "beginning" or a log position (an integer of at least 0)`,
    },
  });

export class RegisterSubscriptionDto {
  /** What the subscription is for, e.g. "mailer". */
  @IsString() @Length(1, 100) name!: string;
  /** Where events are POSTed: http or https. */
  @IsWebhookUrl() url!: string;
  /** Stored event types to deliver, or "all" (the default). CustomerErased is always delivered. */
  @IsOmittable() @IsEventTypeSelection() eventTypes?: string[] | 'all';
  /** The signing secret; generated (and answered once) when absent. */
  @IsOmittable()
  @IsString()
  @Matches(/^[\x21-\x7e]{16,256}$/, { message: 'secret must be 16 to 256 printable ASCII characters' })
  secret?: string;
  /** `ledger` (default) or `cloudevents` (structured CloudEvents 1.0). */
  @IsOmittable() @IsIn(SUBSCRIPTION_FORMATS) format?: SubscriptionFormat;
  /** Whether personal-data fields are delivered (decrypted, access-logged); default false: left out. */
  @IsOmittable() @IsBoolean() includePersonalData?: boolean;
  /** "now" (default: events recorded from now on), "beginning", or the first log position to deliver. */
  @IsOmittable() @IsStartFrom() startFrom?: 'now' | 'beginning' | number;
}

/** The registered subscription, with its signing secret: the only answer that ever holds it. */
export type RegisteredSubscription = SubscriptionView & { readonly secret: string };

/** An admin registers a downstream system to receive the ledger's events. */
export class RegisterSubscription extends Command<RegisteredSubscription> {
  constructor(
    readonly request: RegisterSubscriptionDto,
    readonly context: RecordingContext,
  ) {
    super();
  }
}

@CommandHandler(RegisterSubscription)
export class RegisterSubscriptionHandler implements ICommandHandler<RegisterSubscription> {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    private readonly store: SubscriptionStore,
    private readonly secrets: SubscriptionSecrets,
    private readonly deliveries: SubscriptionDeliveries,
    private readonly views: SubscriptionViews,
    private readonly targets: WebhookTargets,
  ) {}

  async execute({ request, context }: RegisterSubscription): Promise<RegisteredSubscription> {
    const targetProblem = await this.targets.registrationProblem(new URL(request.url));
    if (targetProblem) {
      throw new RequestValidationError([{ field: 'url', message: `url ${targetProblem}` }]);
    }
    const head = await this.events.lastPosition();
    const startFrom = request.startFrom ?? 'now';
    if (typeof startFrom === 'number' && startFrom > head) {
      throw new RequestValidationError([
        {
          field: 'startFrom',
          message: `position ${startFrom} lies beyond the log head (${head}); "now" delivers what comes next`,
        },
      ]);
    }
    const id = uuidv7();
    const secret = request.secret ?? this.secrets.generate();
    const subscription: Subscription = {
      id,
      name: request.name,
      url: request.url,
      eventTypes: request.eventTypes ?? 'all',
      format: request.format ?? 'ledger',
      includePersonalData: request.includePersonalData ?? false,
      startFrom,
      firstPosition: startFrom === 'now' ? head + 1 : startFrom === 'beginning' ? 1 : Math.max(1, startFrom),
      principal: subscriptionPrincipal(id),
      createdAt: context.now.toISOString(),
      createdBy: context.actor,
      state: 'active',
      sealedSecret: await this.secrets.seal(id, secret),
    };
    await this.store.register(subscription);
    await this.deliveries.changed();
    return { ...(await this.views.of(subscription)), secret };
  }
}
