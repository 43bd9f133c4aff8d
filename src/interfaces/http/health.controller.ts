import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { EVENT_STORE, EventStore } from '../../ports/event-store.port';
import {
  PROJECTION_ENGINE,
  ProjectionEngine,
  ProjectionStatus,
} from '../../application/read-models/projection-engine';
import { Answers } from './openapi-operations';
import { Public } from '../../config/api-keys';

/** Read models lagging more than this many events make the service "degraded" (still serving). */
const MAX_HEALTHY_LAG = 10_000;

/** The health answer: `ok`, `degraded` (read models lag) or `unavailable` (503: the event store does not answer). */
export interface Health {
  readonly status: 'ok' | 'degraded' | 'unavailable';
  readonly checks: {
    readonly eventStore:
      | { readonly status: 'up'; readonly lastPosition: number }
      | { readonly status: 'down'; readonly error: string };
    readonly projections?: readonly (Pick<ProjectionStatus, 'name' | 'status' | 'lag'> & {
      readonly lastErrorAt?: string;
    })[];
  };
}

@ApiTags('operations')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PROJECTION_ENGINE) private readonly engine: ProjectionEngine,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Liveness and readiness: the event store answers; projection lag' })
  @Answers('Health', 200, 503)
  async health(@Res({ passthrough: true }) reply: FastifyReply): Promise<Health> {
    try {
      const lastPosition = await this.store.lastPosition();
      const projections = (await this.engine.status()).map(({ name, status, lag, lastError }) => ({
        name,
        status,
        lag,
        lastErrorAt: lastError?.at,
      }));
      const degraded = projections.some((projection) => projection.lag > MAX_HEALTHY_LAG);
      return {
        status: degraded ? 'degraded' : 'ok',
        checks: { eventStore: { status: 'up', lastPosition }, projections },
      };
    } catch (error) {
      void reply.status(503);
      return {
        status: 'unavailable',
        checks: { eventStore: { status: 'down', error: (error as Error).message } },
      };
    }
  }
}
