import { BadRequestException } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { AppModule } from './app.module';
import { LedgerConfig } from './config/ledger-config';
import { DtoValidationPipe } from './interfaces/http/dto-validation.pipe';
import { setUpOpenApi } from './interfaces/http/openapi';
import { ProblemDetailsFilter, sendProblem } from './interfaces/http/problem-details';
import { PinoNestLogger } from './config/logger';
import { addSecurityHeaders, problemOnClientError } from './interfaces/http/http-hygiene';
import {
  allowTrackingCors,
  decodeTrackingBodies,
  TRACKING_PREFIX,
} from './interfaces/http/tracking/tracking-http';
import { TRACKING_PATHS } from './interfaces/http/tracking/tracking.controller';
import { LedgerMetrics } from './application/metrics';

export const BODY_LIMIT_BYTES = 1024 * 1024;

/** The HTTP application on Fastify, ready to listen or to be driven with inject() in tests. */
export async function createApp(config: LedgerConfig, logger: Logger): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: () => uuidv7(),
    logger: false,
    clientErrorHandler: problemOnClientError,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, logger), adapter, {
    logger: new PinoNestLogger(logger),
    bufferLogs: false,
    // Fastify's own JSON parser stays; Nest's would add a form parser, and no route takes forms.
    bodyParser: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  addSecurityHeaders(fastify);
  allowTrackingCors(fastify, config.trackingCorsOrigins ?? '*', Object.values(TRACKING_PATHS).flat());
  decodeTrackingBodies(fastify, BODY_LIMIT_BYTES);
  // Trackers post JSON under other media types: analytics.js as text/plain (to spare a CORS preflight),
  // RudderStack's SDK as application/x-www-form-urlencoded. The tracking API reads any as JSON; every other
  // route takes application/json only (the hook below refuses the rest before any parser runs).
  fastify.removeContentTypeParser('text/plain');
  fastify.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (error) {
      done(new BadRequestException(`body is not JSON: ${(error as Error).message}`), undefined);
    }
  });
  fastify.addHook('onRequest', async (request, reply) => {
    const contentType = request.headers['content-type'] ?? '';
    const json = /^application\/(.+\+)?json\b/i.test(contentType);
    if (hasBody(request.headers) && !json && !request.url.startsWith(TRACKING_PREFIX)) {
      return sendProblem(reply, {
        type: 'about:blank',
        title: 'Unsupported media type: send application/json',
        status: 415,
        errors: [{ field: 'content-type', message: `${contentType || 'none'} is not application/json` }],
      });
    }
  });
  const metrics = app.get(LedgerMetrics);
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onResponse', async (request, reply) => {
      metrics.httpDuration.observe(
        {
          method: request.method,
          route: request.routeOptions.url ?? 'unmatched',
          status: String(reply.statusCode),
        },
        reply.elapsedTime / 1000,
      );
    });
  app.useGlobalPipes(new DtoValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter(logger));
  app.enableShutdownHooks();
  setUpOpenApi(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

function hasBody(headers: Record<string, string | string[] | undefined>): boolean {
  return Number(headers['content-length'] ?? 0) > 0 || headers['transfer-encoding'] !== undefined;
}
