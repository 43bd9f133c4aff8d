import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { EVENT_STORE, EventStore } from '../event-store/event-store.port';

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  @Get()
  @ApiOperation({ summary: 'Liveness and readiness: the event store answers' })
  async health(@Res({ passthrough: true }) reply: FastifyReply) {
    try {
      const lastPosition = await this.store.lastPosition();
      return { status: 'ok', checks: { eventStore: { status: 'up', lastPosition } } };
    } catch (error) {
      void reply.status(503);
      return {
        status: 'unavailable',
        checks: { eventStore: { status: 'down', error: (error as Error).message } },
      };
    }
  }
}
