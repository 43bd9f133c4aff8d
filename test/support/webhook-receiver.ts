import { createServer, IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/** One request the receiver got, as it arrived: the raw body is what a signature is checked against. */
export interface ReceivedRequest {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: string;
  /** The body parsed as JSON. */
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** When it arrived (ms since the epoch). */
  readonly receivedAt: number;
}

/**
 * How to answer: a status (with headers, after a delay), or 'hang' to never answer (the sender's timeout must
 * fire).
 */
export type Answer = number | { status: number; headers?: Record<string, string>; delayMs?: number } | 'hang';

/** Chooses the answer to a request; `index` counts every request received so far, from 0. */
export type Responder = (request: ReceivedRequest, index: number) => Answer;

/** A webhook receiver on 127.0.0.1 (node:http) that records every request and answers as told. */
export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly hanging = new Set<ServerResponse>();

  private constructor(
    private readonly server: Server,
    private responder: Responder,
  ) {}

  static async start(responder: Responder = () => 200): Promise<WebhookReceiver> {
    const server = createServer();
    const receiver = new WebhookReceiver(server, responder);
    server.on('request', (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => receiver.answer(request.url ?? '/', request.headers, chunks, response));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  /** The URL of a path on this receiver. */
  url(path = '/hooks/ledger'): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  respondWith(responder: Responder): void {
    this.responder = responder;
  }

  /** Every request's `ledger-event-id` header, in arrival order (retries and duplicates included). */
  eventIds(): string[] {
    return this.requests.map((request) => String(request.headers['ledger-event-id']));
  }

  /** Waits (bounded) until the requests received satisfy `done`. */
  async waitFor(
    done: (requests: readonly ReceivedRequest[]) => boolean,
    what: string,
    timeoutMs = 10_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.requests)) {
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}; received ${this.requests.length} requests`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async stop(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private answer(
    path: string,
    headers: IncomingHttpHeaders,
    chunks: Buffer[],
    response: ServerResponse,
  ): void {
    const rawBody = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = JSON.parse(rawBody);
    } catch {
      body = undefined;
    }
    const request: ReceivedRequest = { path, headers, rawBody, body, receivedAt: Date.now() };
    const index = this.requests.length;
    this.requests.push(request);
    const answer = this.responder(request, index);
    if (answer === 'hang') {
      this.hanging.add(response);
      response.on('close', () => this.hanging.delete(response));
      return;
    }
    const {
      status,
      headers: answerHeaders = {},
      delayMs = 0,
    } = typeof answer === 'number' ? { status: answer } : answer;
    if (delayMs === 0) response.writeHead(status, answerHeaders).end();
    else setTimeout(() => response.writeHead(status, answerHeaders).end(), delayMs);
  }
}
