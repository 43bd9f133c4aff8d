import { Roles } from '../auth/roles';
import { Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { DomainError } from '../customers/domain/domain-error';
import { PROJECTION_ENGINE, ProjectionEngine } from './projection-engine';

@ApiTags('operations')
@Controller('v1/projections')
export class ProjectionsController {
  constructor(@Inject(PROJECTION_ENGINE) private readonly engine: ProjectionEngine) {}

  @Get()
  @Roles('admin')
  @ApiOperation({
    summary: 'Each projection: generation, status, position, lag, last error, rebuild progress',
  })
  async status() {
    return { projections: await this.engine.status() };
  }

  @Post(':name/rebuild')
  @Roles('admin')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Rebuild one projection (or "all") from position 0 while the old read model keeps serving',
  })
  async rebuild(@Param('name') name: string) {
    const names = name === 'all' ? this.engine.names() : [name];
    if (!names.every((candidate) => this.engine.names().includes(candidate))) {
      throw new DomainError('not-found', 'unknown-projection', `no projection is named ${name}`, 'name');
    }
    await this.engine.rebuild(names);
    return { projections: await this.engine.status() };
  }
}
