import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Transform, TransformCallback } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';
import { TrackingCorsOrigins } from '../../../config/ledger-config';
import { sendProblem } from '../problem-details';

/** Where the tracking API lives; CORS and compressed bodies are for these routes only. */
export const TRACKING_PREFIX = '/tracking/v1/';

/** The request headers a tracker's page may send: analytics.js sends the write key and its retry count. */
const ALLOWED_HEADERS = 'Authorization, Content-Type, X-Retry-Count';

/** How long a browser may reuse a preflight's answer (seconds). */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

const isTrackingRequest = (request: FastifyRequest) => request.url.startsWith(TRACKING_PREFIX);

/**
 * CORS on the tracking API only, so that a shop's pages (on another origin) can post with analytics.js: the
 * allowed origins come from the configuration; credentials (cookies) are never allowed, the write key travels
 * in the Authorization header. Preflights of the tracking paths are answered 204 without authentication (a
 * browser sends none); no other route carries a CORS header.
 */
export function allowTrackingCors(
  fastify: FastifyInstance,
  origins: TrackingCorsOrigins,
  paths: readonly string[],
): void {
  const allowed = (origin: string | undefined): string | undefined => {
    if (origin === undefined) return undefined;
    if (origins === '*') return '*';
    return origins.includes(origin.toLowerCase()) ? origin : undefined;
  };
  fastify.addHook('onRequest', async (request, reply) => {
    if (!isTrackingRequest(request)) return;
    const allowOrigin = allowed(request.headers.origin);
    // The answer depends on the Origin header when origins are listed: caches must keep one per origin.
    if (origins !== '*') reply.header('vary', 'Origin');
    if (allowOrigin) reply.header('access-control-allow-origin', allowOrigin);
  });
  for (const path of paths) {
    fastify.options(TRACKING_PREFIX + path, async (request, reply: FastifyReply) => {
      if (reply.getHeader('access-control-allow-origin') !== undefined) {
        reply
          .header('access-control-allow-methods', 'POST')
          .header('access-control-allow-headers', ALLOWED_HEADERS)
          .header('access-control-max-age', String(PREFLIGHT_MAX_AGE_SECONDS));
      }
      return reply.status(204).send();
    });
  }
}

/** The content codings the tracking API takes: what Segment's and RudderStack's trackers send. */
const DECODERS: Record<string, () => Transform> = {
  gzip: () => createGunzip(),
  'x-gzip': () => createGunzip(),
  deflate: () => createInflate(),
  identity: () => new Transform({ transform: (chunk, _encoding, done) => done(null, chunk) }),
};

/**
 * Gzip and deflate request bodies on the tracking API (RudderStack's SDK gzips by default): the body is
 * decoded as it streams in, and the body limit applies to the decoded size, so that a small compressed body
 * that inflates past it (a decompression bomb) is stopped there and answered 413, nothing parsed.
 */
export function decodeTrackingBodies(fastify: FastifyInstance, limitBytes: number): void {
  const codingOf = (request: FastifyRequest) =>
    (request.headers['content-encoding'] ?? '').trim().toLowerCase();
  fastify.addHook('onRequest', async (request, reply) => {
    const coding = codingOf(request);
    const tracking = isTrackingRequest(request);
    if (coding === '' || coding === 'identity' || (tracking && DECODERS[coding])) return;
    const supported = tracking
      ? 'gzip, deflate or none'
      : 'none (only the tracking API takes gzip and deflate)';
    return sendProblem(reply, {
      type: 'about:blank',
      title: 'Unsupported content encoding',
      status: 415,
      errors: [{ field: 'content-encoding', message: `${coding} is not supported: send ${supported}` }],
    });
  });
  fastify.addHook('preParsing', async (request, _reply, payload) => {
    const coding = codingOf(request);
    if (coding === '' || !isTrackingRequest(request)) return payload;
    const decoder = DECODERS[coding]!;
    const decoding = decoder();
    const decoded = limited(limitBytes);
    payload.pipe(decoding).pipe(decoded);
    const fail = (error: Error) => decoded.destroy(error);
    payload.on('error', fail);
    decoding.on('error', (error) =>
      fail(
        Object.assign(new Error(`the body is not valid ${coding}: ${error.message}`), { statusCode: 400 }),
      ),
    );
    // Stop inflating once the body is refused; Fastify answers and closes the connection.
    decoded.on('error', () => {
      payload.unpipe(decoding);
      decoding.destroy();
    });
    // Fastify compares the bytes received on the wire with Content-Length. They count against the limit too:
    // a stream of empty compressed blocks inflates to nothing, yet must not run on forever.
    let received = 0;
    payload.on('data', (chunk: Buffer) => {
      received += chunk.length;
      Object.assign(decoded, { receivedEncodedLength: received });
      if (received > limitBytes) decoded.destroy(tooLarge(`the body is larger than ${limitBytes} bytes`));
    });
    return decoded;
  });
}

/** Passes bytes through until there are more than `limitBytes`, then fails with 413. */
function limited(limitBytes: number): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      total += chunk.length;
      if (total > limitBytes) {
        done(tooLarge(`the decompressed body is larger than ${limitBytes} bytes`));
        return;
      }
      done(null, chunk);
    },
  });
}

function tooLarge(message: string): Error {
  return Object.assign(new Error(message), { statusCode: 413 });
}
