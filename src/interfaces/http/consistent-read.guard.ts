import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  ServiceUnavailableException,
} from '@nestjs/common';
import type { OpenAPIObject, ParameterObject } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EVENT_STORE, EventStore } from '../../ports/event-store.port';
import { PROJECTION_ENGINE, ProjectionEngine } from '../../application/read-models/projection-engine';
import { FieldProblem, RequestValidationError } from '../../validation/request-validation';

/** The request header carrying the log position a read must see (the `position` of the client's last write). */
export const MIN_POSITION_HEADER = 'x-ledger-min-position';
/** The same as a query parameter, for clients that cannot set headers (a link, a curl one-liner). */
export const MIN_POSITION_QUERY = 'minPosition';
/** How long a read waits for the read models to fold the position before it answers 503. */
export const CONSISTENT_READ_WAIT_MS = 2_000;
/** What a 503 asks the client to wait before trying again, in seconds. */
const RETRY_AFTER_SECONDS = 1;

/** The OpenAPI description of the header: every GET operation takes it. */
export const MIN_POSITION_PARAMETER: ParameterObject = {
  name: MIN_POSITION_HEADER,
  in: 'header',
  required: false,
  schema: { type: 'integer', minimum: 0 },
  description:
    `Read-your-writes: the \`position\` of your last write. A read waits (up to ${CONSISTENT_READ_WAIT_MS / 1000} s) ` +
    'until every read model has folded it, else answers 503 with Retry-After. Also accepted as the query ' +
    `parameter \`${MIN_POSITION_QUERY}\`. 400 when it is not a non-negative integer or lies beyond the log head.`,
};

/** The same as a query parameter. */
export const MIN_POSITION_QUERY_PARAMETER: ParameterObject = {
  ...MIN_POSITION_PARAMETER,
  name: MIN_POSITION_QUERY,
  in: 'query',
  description: `Read-your-writes, as the header \`${MIN_POSITION_HEADER}\` (the higher of both counts).`,
};

/** Declares the header and the query parameter on every GET operation (the guard serves them all). */
export function describeMinPosition(document: OpenAPIObject): OpenAPIObject {
  for (const path of Object.values(document.paths)) {
    if (path.get) {
      path.get.parameters = [
        ...(path.get.parameters ?? []),
        MIN_POSITION_PARAMETER,
        MIN_POSITION_QUERY_PARAMETER,
      ];
    }
  }
  return document;
}

/**
 * Read-your-writes for every read: a GET given a minimum log position (header or query) waits, bounded, until
 * the read models have folded it. A global guard registered after the API-key guard, so only an allowed caller
 * waits; guards run before pipes, so the query parameter is taken out before the query DTOs (which refuse
 * unknown fields) see it. A guard rather than an interceptor: Nest wraps every interceptor of a route in
 * AsyncResource.bind, which on Node 20 cost about 7% of the CPU of each write, a route this never serves.
 */
@Injectable()
export class ConsistentReadGuard implements CanActivate {
  constructor(
    @Inject(PROJECTION_ENGINE) private readonly engine: ProjectionEngine,
    @Inject(EVENT_STORE) private readonly events: EventStore,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (request.method !== 'GET' && request.method !== 'HEAD') return true;
    const minPosition = takeMinPosition(request);
    if (minPosition === undefined) return true;

    const head = await this.events.lastPosition();
    if (minPosition.value > head) {
      throw new RequestValidationError([
        { field: minPosition.field, message: `lies beyond the log head (position ${head})` },
      ]);
    }
    if (!(await this.engine.waitFor(minPosition.value, CONSISTENT_READ_WAIT_MS))) {
      void context
        .switchToHttp()
        .getResponse<FastifyReply>()
        .header('retry-after', String(RETRY_AFTER_SECONDS));
      throw new ServiceUnavailableException(
        `The read models have not folded position ${minPosition.value} yet: try again shortly`,
      );
    }
    return true;
  }
}

/**
 * The minimum position a request asks for (the higher of header and query when both are given), with the
 * field it came from; removes the query parameter. Throws RequestValidationError naming each bad field.
 */
export function takeMinPosition(request: FastifyRequest): { value: number; field: string } | undefined {
  const query = request.query as Record<string, unknown> | undefined;
  const candidates: { field: string; raw: unknown }[] = [];
  if (request.headers[MIN_POSITION_HEADER] !== undefined) {
    candidates.push({ field: MIN_POSITION_HEADER, raw: request.headers[MIN_POSITION_HEADER] });
  }
  if (query && Object.prototype.hasOwnProperty.call(query, MIN_POSITION_QUERY)) {
    candidates.push({ field: MIN_POSITION_QUERY, raw: query[MIN_POSITION_QUERY] });
    delete query[MIN_POSITION_QUERY];
  }
  const problems: FieldProblem[] = [];
  let chosen: { value: number; field: string } | undefined;
  for (const { field, raw } of candidates) {
    const value = typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
    if (!Number.isSafeInteger(value)) {
      problems.push({ field, message: `${field} must be a non-negative integer (a write's position)` });
    } else if (!chosen || value > chosen.value) {
      chosen = { value, field };
    }
  }
  if (problems.length > 0) throw new RequestValidationError(problems);
  return chosen;
}
