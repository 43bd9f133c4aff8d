import { Roles } from '../../config/api-keys';
import { Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString } from 'class-validator';
import { DomainError } from '../../domain/domain-error';
import { EVENT_STORE, EventStore } from '../../ports/event-store.port';
import {
  PROJECTION_ENGINE,
  ProjectionEngine,
  ProjectionStatus,
  RetryReport,
} from '../../application/read-models/projection-engine';
import { Answers } from './openapi-operations';

export class RetryParkedParams {
  /** One projection's parked events; every projection's when absent. */
  @IsOptional() @IsString() projection?: string;
}

/** The log head and every projection's status; `parked` counts the parked events of all of them. */
export interface ProjectionsOverview {
  readonly head: number;
  readonly parked: number;
  readonly projections: readonly ProjectionStatus[];
}

export interface RebuildStarted {
  readonly projections: readonly ProjectionStatus[];
}

export interface ParkedRetryOverview extends ProjectionsOverview {
  readonly retried: readonly RetryReport[];
}

@ApiTags('operations')
@Controller('v1/projections')
export class ProjectionsController {
  constructor(
    @Inject(PROJECTION_ENGINE) private readonly engine: ProjectionEngine,
    @Inject(EVENT_STORE) private readonly events: EventStore,
  ) {}

  @Get()
  @Roles('admin')
  @ApiOperation({
    summary:
      'The log head, and each projection: generation, status, position, lag, parked events (counted, first 100 listed), rebuild progress',
  })
  @Answers('ProjectionsOverview')
  async status(): Promise<ProjectionsOverview> {
    return this.overview();
  }

  @Post(':name/rebuild')
  @Roles('admin')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Rebuild one projection (or "all") from position 0 while the old read model keeps serving',
  })
  @Answers('RebuildStarted', 202)
  async rebuild(@Param('name') name: string): Promise<RebuildStarted> {
    const names = name === 'all' ? this.engine.names() : [name];
    if (!names.every((candidate) => this.engine.names().includes(candidate))) {
      throw new DomainError('not-found', 'unknown-projection', `no projection is named ${name}`, 'name');
    }
    await this.engine.rebuild(names);
    return { projections: await this.engine.status() };
  }

  @Post('parked/retry')
  @Roles('admin')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'After a fix: fold the parked events of one projection (?projection=) or of all again; those that still fail stay parked',
  })
  @Answers('ParkedRetryOverview')
  async retryParked(@Query() params: RetryParkedParams): Promise<ParkedRetryOverview> {
    if (params.projection !== undefined && !this.engine.names().includes(params.projection)) {
      throw new DomainError(
        'not-found',
        'unknown-projection',
        `no projection is named ${params.projection}`,
        'projection',
      );
    }
    if (!this.engine.folds) {
      throw new DomainError(
        'conflict',
        'projections-not-folded-here',
        'this instance does not fold projections (LEDGER_PROJECTIONS=off): retry where the projector runs (`npm run ledger -- projections retry`)',
      );
    }
    const retried = await this.engine.retryParked(params.projection ? [params.projection] : undefined);
    return { retried, ...(await this.overview()) };
  }

  private async overview(): Promise<ProjectionsOverview> {
    const [head, projections] = await Promise.all([this.events.lastPosition(), this.engine.status()]);
    return {
      head,
      parked: projections.reduce((sum, projection) => sum + projection.parked.count, 0),
      projections,
    };
  }
}
