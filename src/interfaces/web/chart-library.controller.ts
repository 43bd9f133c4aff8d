import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Public } from '../../config/api-keys';

/**
 * Chart.js's browser build, straight from the installed npm package (dist/chart.umd.min.js beside the
 * package's main file): the analyst dashboard draws its charts with it, and the service serves it itself so
 * the page needs no network beyond this service (its content security policy allows no other origin).
 */
export const CHART_LIBRARY_FILE = join(dirname(require.resolve('chart.js')), 'chart.umd.min.js');

@ApiExcludeController()
@Public()
@Controller('vendor')
export class ChartLibraryController {
  /** Read once at start: a missing package fails the start, not the first dashboard load. */
  private readonly body = readFileSync(CHART_LIBRARY_FILE);

  @Get('chart.umd.min.js')
  chartLibrary(@Res() reply: FastifyReply): void {
    void reply
      .headers({
        'content-type': 'text/javascript; charset=utf-8',
        'x-content-type-options': 'nosniff',
        // The file changes only with the installed version, which a restart brings.
        'cache-control': 'public, max-age=86400',
      })
      .send(this.body);
  }
}
