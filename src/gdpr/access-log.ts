import {
  applyDecorators,
  CallHandler,
  ExecutionContext,
  Inject,
  Injectable,
  NestInterceptor,
  SetMetadata,
  UseInterceptors,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { from, Observable, switchMap } from 'rxjs';
import { v7 as uuidv7 } from 'uuid';
import { AuthenticatedRequest } from '../auth/api-key.guard';
import { EVENT_STORE, EventStore } from '../event-store/event-store.port';
import { ANONYMOUS } from '../http/recording-context.decorator';

export const accessStreamId = (customerId: string) => `access-${customerId}`;

/** What was read: an HTTP resource, a lookup that revealed who someone is, or a CLI export. */
export type PersonalDataResource =
  | 'profile'
  | 'timeline'
  | 'events'
  | 'export'
  | 'audit-trail'
  | 'email-lookup'
  | 'pseudonym-resolution'
  | 'event-export';

/** Who read which personal data of a customer, appended to `access-<customerId>`, never to the customer stream. */
@Injectable()
export class AccessLog {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async record(
    customerId: string,
    actor: string,
    resource: PersonalDataResource,
    requestId: string,
  ): Promise<void> {
    const at = new Date().toISOString();
    await this.store.append([
      {
        streamId: accessStreamId(customerId),
        expectedRevision: 'any',
        events: [
          {
            eventId: uuidv7(),
            type: 'PersonalDataRead',
            schemaVersion: 1,
            data: { resource },
            metadata: { occurredAt: at, recordedAt: at, actor, causationId: requestId },
          },
        ],
      },
    ]);
  }

  /** Every read of the customer's personal data: position, when, who, on which request, what. */
  async entries(customerId: string): Promise<Record<string, unknown>[]> {
    const events = await this.store.readStream(accessStreamId(customerId));
    return events.map(({ metadata, data, position }) => ({ position, ...metadata, ...data }));
  }
}

const RESOURCE_METADATA = 'ledger:personal-data-resource';

@Injectable()
export class AccessLogInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly accessLog: AccessLog,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const resource = this.reflector.get<PersonalDataResource | undefined>(
      RESOURCE_METADATA,
      context.getHandler(),
    );
    if (!resource) return next.handle();
    const request = context.switchToHttp().getRequest<AuthenticatedRequest & { params: { id?: string } }>();
    return next
      .handle()
      .pipe(
        switchMap((body) =>
          from(
            this.accessLog
              .record(request.params.id!, request.principal ?? ANONYMOUS, resource, request.id)
              .then(() => body),
          ),
        ),
      );
  }
}

/**
 * Marks an endpoint (with a `:id` customer parameter) whose successful answers are entered in the access log.
 * The interceptor is bound to these endpoints only, so ingest pays nothing for it.
 */
export const ReadsPersonalData = (resource: PersonalDataResource) =>
  applyDecorators(SetMetadata(RESOURCE_METADATA, resource), UseInterceptors(AccessLogInterceptor));
