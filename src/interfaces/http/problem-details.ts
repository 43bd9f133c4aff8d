import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { DomainError, DomainErrorKind, RejectedCommands } from '../../domain/domain-error';
import { FieldProblem, RequestValidationError } from '../../validation/request-validation';
import { TrackingMessagesRefused } from '../../application/tracking/record-tracking-messages.command';

/** RFC 7807 problem details, with one entry per invalid field. */
export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly errors?: readonly FieldProblem[];
  /** The tracking API's per-message outcomes, when some messages were refused and the others recorded. */
  readonly results?: readonly unknown[];
}

const STATUS_OF: Record<DomainErrorKind, number> = {
  'not-found': HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  gone: HttpStatus.GONE,
  invalid: HttpStatus.UNPROCESSABLE_ENTITY,
  busy: HttpStatus.SERVICE_UNAVAILABLE,
};

/** Seconds a client waits before retrying a 503. */
const RETRY_AFTER_SECONDS = 1;

/** Errors Nest raises for requests it cannot parse (Fastify's body errors arrive as these statuses). */
const BODY_ERRORS: Record<number, string> = {
  400: 'Malformed request body',
  413: 'Request body larger than 1 MiB',
};

export function toProblem(error: unknown): ProblemDetails {
  if (error instanceof RequestValidationError) {
    return { type: '/problems/validation', title: 'Invalid request', status: 400, errors: error.problems };
  }
  if (error instanceof DomainError) {
    return {
      type: `/problems/${error.code}`,
      title: error.code.replace(/-/g, ' ').replace(/^./, (first) => first.toUpperCase()),
      status: STATUS_OF[error.kind],
      detail: error.message,
      errors: error.field ? [{ field: error.field, message: error.message }] : undefined,
    };
  }
  if (error instanceof RejectedCommands) {
    const kinds = new Set(error.errors.map((each) => each.kind));
    return {
      type: '/problems/commands-rejected',
      title: "Several touchpoints break the ledger's rules: nothing was recorded",
      status: kinds.size === 1 ? STATUS_OF[error.errors[0]!.kind] : HttpStatus.UNPROCESSABLE_ENTITY,
      errors: error.errors.map((each) => ({
        field: each.field ?? 'body',
        message: each.message,
        code: each.code,
      })),
    };
  }
  if (error instanceof TrackingMessagesRefused) {
    const problems = error.causes.map(toProblem);
    const types = new Set(problems.map((problem) => problem.type));
    const statuses = new Set(problems.map((problem) => problem.status));
    const single = problems.length === 1 && error.results.length === 1;
    return {
      type: types.size === 1 ? problems[0]!.type : '/problems/messages-refused',
      title: single
        ? problems[0]!.title
        : `${problems.length} of ${error.results.length} messages refused: the others were recorded`,
      // One that a retry may get through makes the tracker retry: the recorded ones are duplicates then.
      status: statuses.has(HttpStatus.SERVICE_UNAVAILABLE)
        ? HttpStatus.SERVICE_UNAVAILABLE
        : statuses.size === 1
          ? problems[0]!.status
          : HttpStatus.UNPROCESSABLE_ENTITY,
      ...(single && problems[0]!.detail !== undefined && { detail: problems[0]!.detail }),
      errors: problems.flatMap((problem) => problem.errors ?? []),
      results: error.results,
    };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const bodyError = BODY_ERRORS[status];
    return bodyError
      ? { type: 'about:blank', title: bodyError, status, errors: [{ field: 'body', message: error.message }] }
      : { type: 'about:blank', title: error.message, status };
  }
  // Fastify's body errors and the tracking API's decoding ones carry their 4xx status.
  const statusCode = (error as { statusCode?: unknown } | undefined)?.statusCode;
  if (error instanceof Error && typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return {
      type: 'about:blank',
      title: BODY_ERRORS[statusCode] ?? 'Bad request',
      status: statusCode,
      errors: [{ field: 'body', message: error.message }],
    };
  }
  return { type: 'about:blank', title: 'Internal server error', status: 500 };
}

export function sendProblem(reply: FastifyReply, problem: ProblemDetails): FastifyReply {
  if (problem.status === HttpStatus.SERVICE_UNAVAILABLE)
    reply.header('retry-after', String(RETRY_AFTER_SECONDS));
  return reply.status(problem.status).header('content-type', 'application/problem+json').send(problem);
}

/** Every error leaves the service as problem+json; unexpected ones are logged (without request bodies). */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const problem = toProblem(error);
    if (problem.status >= 500) this.logger.error({ err: error }, 'request failed');
    void sendProblem(host.switchToHttp().getResponse<FastifyReply>(), problem);
  }
}
