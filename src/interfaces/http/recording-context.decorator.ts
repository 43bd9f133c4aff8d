import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { RecordingContext } from '../../application/customers/customer-ledger';
import { attributionOf, Principal } from '../../application/staff-auth/principal';
import { Attribution } from '../../ports/attribution';

/** The principal of the request; `anonymous` while the service runs without API keys. */
export const ANONYMOUS = 'anonymous';

/**
 * What events and access-log entries carry next to `actor`: the person and how they signed in for a staff
 * session, `api-key` for a key; nothing while the service runs open.
 */
export function attributionOfRequest(request: {
  principal?: string;
  staff?: Principal;
}): Attribution | undefined {
  if (request.staff) return attributionOf(request.staff);
  return request.principal && request.principal !== ANONYMOUS ? { authentication: 'api-key' } : undefined;
}

/** Who records (the person's subject id or the API key's principal), on which request, and the server time. */
export const Recording = createParamDecorator((_: unknown, context: ExecutionContext): RecordingContext => {
  const request = context
    .switchToHttp()
    .getRequest<FastifyRequest & { principal?: string; staff?: Principal }>();
  const correlationHeader = request.headers['x-correlation-id'];
  return {
    actor: request.principal ?? ANONYMOUS,
    attribution: attributionOfRequest(request),
    causationId: request.id,
    correlationId:
      typeof correlationHeader === 'string' && correlationHeader.length <= 128
        ? correlationHeader
        : request.id,
    now: new Date(),
  };
});
