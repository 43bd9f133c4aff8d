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
import { jsonBodyProblems } from './validation/json-body';
import { RequestValidationError } from './validation/request-validation';

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
    // The body parsers are the ones below: JSON checked as text before anything reads it.
    bodyParser: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  addSecurityHeaders(fastify);
  allowTrackingCors(fastify, config.trackingCorsOrigins ?? '*', Object.values(TRACKING_PATHS).flat());
  decodeTrackingBodies(fastify, BODY_LIMIT_BYTES);
  // Every body is checked as JSON text (depth, lone surrogates, inexact numbers) before anything reads it.
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    parseJson(request, body as string, (error, value) => {
      if (error) return done(error, undefined);
      const problems = jsonBodyProblems(body as string);
      if (problems.length > 0) return done(new RequestValidationError(problems), undefined);
      done(null, value);
    });
  });
  // Trackers post JSON under other media types: analytics.js as text/plain (to spare a CORS preflight),
  // RudderStack's SDK as application/x-www-form-urlencoded. The tracking API reads any as JSON; every other
  // route takes application/json only (the hook below refuses the rest before any parser runs).
  fastify.removeContentTypeParser('text/plain');
  fastify.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    let value: unknown;
    try {
      value = JSON.parse(body as string);
    } catch (error) {
      return done(new BadRequestException(`body is not JSON: ${(error as Error).message}`), undefined);
    }
    const problems = jsonBodyProblems(body as string);
    if (problems.length > 0) return done(new RequestValidationError(problems), undefined);
    done(null, value);
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
