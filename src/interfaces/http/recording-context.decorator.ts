import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { RecordingContext } from '../../application/customers/customer-ledger';

/** The principal of the request; `anonymous` while the service runs without API keys. */
export const ANONYMOUS = 'anonymous';

/** Who records (the API key's principal), on which request, and the server time of the request. */
export const Recording = createParamDecorator((_: unknown, context: ExecutionContext): RecordingContext => {
  const request = context.switchToHttp().getRequest<FastifyRequest & { principal?: string }>();
  const correlationHeader = request.headers['x-correlation-id'];
  return {
    actor: request.principal ?? ANONYMOUS,
    causationId: request.id,
    correlationId:
      typeof correlationHeader === 'string' && correlationHeader.length <= 128
        ? correlationHeader
        : request.id,
    now: new Date(),
  };
});
