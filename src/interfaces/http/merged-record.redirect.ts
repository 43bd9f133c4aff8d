import {
  applyDecorators,
  ArgumentsHost,
  CanActivate,
  Catch,
  ExceptionFilter,
  ExecutionContext,
  Inject,
  Injectable,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { survivorOfRecord } from '../../application/read-models/merged-records';
import { EVENT_STORE, EventStore } from '../../ports/event-store.port';

/** A read of a record merged into another: the survivor answers for it. */
export class RecordMerged extends Error {
  constructor(
    readonly customerId: string,
    readonly survivorId: string,
  ) {
    super(`customer ${customerId} was merged into ${survivorId}`);
  }
}

/**
 * Reads of `/v1/customers/:id...` for a record merged into another are redirected (308) to the survivor, as
 * recorded in the event store, so the duplicate's id keeps working for readers without waiting for any
 * read model. Writes follow merges in the ledger itself.
 */
@Injectable()
export class FollowMergedRecords implements CanActivate {
  constructor(@Inject(EVENT_STORE) private readonly events: EventStore) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest<{ Params: { id?: string } }>>();
    const customerId = request.params.id;
    if (request.method !== 'GET' || customerId === undefined) return true;
    const survivorId = await survivorOfRecord(this.events, customerId);
    if (survivorId !== customerId) throw new RecordMerged(customerId, survivorId);
    return true;
  }
}

@Catch(RecordMerged)
export class RecordMergedFilter implements ExceptionFilter<RecordMerged> {
  catch(error: RecordMerged, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const [path, query] = request.url.split('?', 2);
    const location =
      path!.replace(`/${encodeURIComponent(error.customerId)}`, `/${encodeURIComponent(error.survivorId)}`) +
      (query === undefined ? '' : `?${query}`);
    void host
      .switchToHttp()
      .getResponse<FastifyReply>()
      .status(308)
      .header('location', location)
      .header('content-type', 'application/problem+json')
      .send({
        type: '/problems/customer-merged',
        title: 'Customer merged',
        status: 308,
        detail: error.message,
        survivorId: error.survivorId,
      });
  }
}

/** Marks a controller whose `:id` reads answer for merged-away records with a redirect to the survivor. */
export const RedirectsMergedRecords = () =>
  applyDecorators(UseGuards(FollowMergedRecords), UseFilters(RecordMergedFilter));
