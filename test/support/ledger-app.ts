import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createApp } from '../../src/app.factory';
import { LedgerConfig } from '../../src/config/ledger-config';
import { PROJECTION_ENGINE, ProjectionEngine } from '../../src/application/read-models/projection-engine';

export interface ApiResponse {
  readonly status: number;
  readonly headers: Record<string, unknown>;
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A ledger service on a fresh data directory, driven in-process through Fastify's inject. */
export class LedgerTestApp {
  private constructor(
    readonly app: NestFastifyApplication,
    readonly config: LedgerConfig,
  ) {}

  /** `logger`: where the service logs (default: nowhere), for tests of what it logs. */
  static async start(
    overrides: Partial<LedgerConfig> = {},
    logger: pino.Logger = pino({ level: 'silent' }),
  ): Promise<LedgerTestApp> {
    const config: LedgerConfig = {
      port: 0,
      host: '127.0.0.1',
      dataDir: mkdtempSync(join(tmpdir(), 'ledger-e2e-')),
      ledgerCurrency: 'EUR',
      masterKey: randomBytes(32),
      masterKeyGenerated: false,
      logLevel: 'silent',
      apiKeys: [],
      previousMasterKeys: [],
      retention: [],
      runProjections: true,
      ...overrides,
    };
    const app = await createApp(config, logger);
    return new LedgerTestApp(app, config);
  }

  async request(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse> {
    const response = await this.app.inject({
      method,
      url,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = response.body;
    return {
      status: response.statusCode,
      headers: response.headers,
      body: text ? JSON.parse(text) : undefined,
    };
  }

  /** Waits until the read models have folded everything appended so far. */
  async projected(): Promise<void> {
    await this.app.get<ProjectionEngine>(PROJECTION_ENGINE).caughtUp();
  }

  post(url: string, body: unknown, headers?: Record<string, string>) {
    return this.request('POST', url, body, headers);
  }

  get(url: string) {
    return this.request('GET', url);
  }

  /**
   * Closes this service and starts a new one on the same data directory and master key, as a process restart
   * would: only what the stores kept survives. Use the returned app from then on.
   */
  async restart(): Promise<LedgerTestApp> {
    await this.app.close();
    return LedgerTestApp.start(this.config);
  }

  async stop(): Promise<void> {
    await this.app.close();
    rmSync(this.config.dataDir, { recursive: true, force: true });
  }
}
