import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { ProblemDetails } from './problem-details';

/**
 * The API documentation (Swagger UI at /docs) may run its own scripts only, talk to this service only, and may
 * not be framed. Swagger UI styles its page inline, hence 'unsafe-inline' for styles alone.
 */
const DOCS_CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * Headers every answer carries: `nosniff`, and `Cache-Control: no-store` unless the route chose its own caching
 * (the web page's static files): answers hold personal data, and no browser or proxy cache may keep them. The
 * documentation gets its content security policy. The service-rep page sets its own (web-page.controller.ts).
 */
export function addSecurityHeaders(fastify: FastifyInstance): void {
  fastify.addHook('onSend', async (request, reply, payload) => {
    if (!reply.hasHeader('x-content-type-options')) void reply.header('x-content-type-options', 'nosniff');
    if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
    if (/^\/docs(\/|$|\?|-json)/.test(request.url)) {
      void reply.header('content-security-policy', DOCS_CONTENT_SECURITY_POLICY);
    }
    return payload;
  });
}

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (headers over the size limit: 431, a request
 * that took too long: 408, anything unparseable: 400) answer problem+json like every other error.
 */
export const problemOnClientError: FastifyServerOptions['clientErrorHandler'] = (
  error: NodeJS.ErrnoException,
  socket: Socket,
) => {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status =
    error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const problem: ProblemDetails = {
    type: 'about:blank',
    title:
      status === 431
        ? 'Request headers larger than the server accepts'
        : status === 408
          ? 'The request took too long to arrive'
          : 'Malformed HTTP request',
    status,
  };
  const body = JSON.stringify(problem);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/problem+json\r\n` +
        `Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
};
