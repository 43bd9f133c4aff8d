import { BeforeApplicationShutdown, Controller, Inject, MessageEvent, Param, Sse } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Observable } from 'rxjs';
import { Roles } from '../../config/api-keys';
import { customerStreamId } from '../../domain/customer-events';
import { EVENT_STORE, EventStore } from '../../ports/event-store.port';
import { CustomerIdPipe } from '../http/customer-id.pipe';

/** A comment this often keeps proxies from closing an idle stream and tells a dead client apart sooner. */
export const KEEP_ALIVE_MS = 20_000;

/**
 * Server-sent events for one customer: `ready` once subscribed (with the log position it starts after), then
 * `appended` for each new event of the customer's stream. Only ids, types and positions are sent, never
 * personal data; the page reads the entry itself through the timeline, which logs the access.
 */
@ApiTags('customers')
@Controller('v1/customers')
export class CustomerLiveController implements BeforeApplicationShutdown {
  /** Ends every open stream when the service stops: the HTTP server cannot close while one is open. */
  private readonly stopping = new AbortController();

  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  @Sse(':id/live')
  @Roles('rep', 'auditor')
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description: 'Server-sent events',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  @ApiOperation({
    summary:
      'Live updates (server-sent events): "ready" {position}, then "appended" {eventId, type, position} per new event',
  })
  async live(@Param('id', CustomerIdPipe) customerId: string): Promise<Observable<MessageEvent>> {
    const streamId = customerStreamId(customerId);
    // Only what is appended from now on: the page has just read the timeline itself.
    const afterPosition = await this.store.lastPosition();
    return new Observable<MessageEvent>((subscriber) => {
      // Nest unsubscribes when the client disconnects; the teardown below then ends the store subscription.
      const disconnected = new AbortController();
      const signal = AbortSignal.any([disconnected.signal, this.stopping.signal]);
      subscriber.next({ type: 'ready', data: { position: afterPosition } });
      const keepAlive = setInterval(() => subscriber.next({ comment: 'keep-alive' }), KEEP_ALIVE_MS);
      (async () => {
        for await (const message of this.store.subscribeToAll({ afterPosition, signal })) {
          if (message.kind === 'event' && message.event.streamId === streamId) {
            const { eventId, type, position } = message.event;
            subscriber.next({ type: 'appended', data: { eventId, type, position } });
          }
        }
      })().then(
        () => subscriber.complete(),
        (error: unknown) => subscriber.error(error),
      );
      return () => {
        clearInterval(keepAlive);
        disconnected.abort();
      };
    });
  }

  beforeApplicationShutdown(): void {
    this.stopping.abort();
  }
}
