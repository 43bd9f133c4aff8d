import { DomainError } from '../../domain/domain-error';
import { sendProblem, toProblem } from './problem-details';
import type { FastifyReply } from 'fastify';

describe('problem details', () => {
  it.each([
    ['not-found', 404],
    ['conflict', 409],
    ['gone', 410],
    ['invalid', 422],
    ['busy', 503],
  ] as const)('answers a %s domain error with %i', (kind, status) => {
    expect(toProblem(new DomainError(kind, 'some-rule', 'what happened', 'field'))).toMatchObject({
      type: '/problems/some-rule',
      status,
      errors: [{ field: 'field', message: 'what happened' }],
    });
  });

  it('tells a client when to retry a 503, and only a 503', () => {
    const headersOf = (status: number) => {
      const headers: Record<string, string> = {};
      const reply = {
        header: (name: string, value: string) => ((headers[name] = value), reply),
        status: () => reply,
        send: () => reply,
      };
      sendProblem(reply as unknown as FastifyReply, { type: 'about:blank', title: 't', status });
      return headers;
    };
    expect(headersOf(503)).toMatchObject({ 'retry-after': '1' });
    expect(headersOf(409)['retry-after']).toBeUndefined();
  });
});
