import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

/**
 * How to start the service: from the sources through ts-node (tests), or, when this file runs compiled (the
 * benchmarks, `npm run bench`), the compiled service next to it, as `npm run start:prod` and the image run it.
 */
const COMPILED = __filename.endsWith('.js');
const ROOT = join(__dirname, '..', '..', ...(COMPILED ? ['..'] : []));
const SERVICE = COMPILED
  ? [join(__dirname, '..', '..', 'src', 'main.js')]
  : ['-r', 'ts-node/register/transpile-only', 'src/main.ts'];

/** The real service in a child process (source or compiled, as this file is), for crash tests and benchmarks. */
export class LedgerProcess {
  private constructor(
    readonly child: ChildProcess,
    readonly baseUrl: string,
  ) {}

  static async start(env: {
    DATA_DIR: string;
    PORT: number;
    LEDGER_MASTER_KEY?: string;
    LEDGER_API_KEYS_FILE?: string;
    LEDGER_CURRENCY?: string;
    LEDGER_PROJECTIONS?: 'on' | 'off';
    /** PostgreSQL for every port instead of the embedded files under DATA_DIR. */
    DATABASE_URL?: string;
    /** Any other variables, such as staff sign-in's LEDGER_PUBLIC_URL and LEDGER_OIDC_*. */
    more?: Readonly<Record<string, string>>;
    /** Private webhook targets allowed, e.g. 127.0.0.1 for a WebhookReceiver. */
    LEDGER_WEBHOOK_ALLOWED_TARGETS?: string;
  }): Promise<LedgerProcess> {
    const child = spawn(process.execPath, SERVICE, {
      cwd: ROOT,
      env: {
        ...process.env,
        DATA_DIR: env.DATA_DIR,
        PORT: String(env.PORT),
        LEDGER_MASTER_KEY: env.LEDGER_MASTER_KEY ?? randomBytes(32).toString('base64'),
        LOG_LEVEL: 'info',
        ...(env.LEDGER_API_KEYS_FILE && { LEDGER_API_KEYS_FILE: env.LEDGER_API_KEYS_FILE }),
        ...(env.LEDGER_CURRENCY && { LEDGER_CURRENCY: env.LEDGER_CURRENCY }),
        ...(env.LEDGER_PROJECTIONS && { LEDGER_PROJECTIONS: env.LEDGER_PROJECTIONS }),
        ...(env.DATABASE_URL && { DATABASE_URL: env.DATABASE_URL }),
        ...env.more,
        ...(env.LEDGER_WEBHOOK_ALLOWED_TARGETS && {
          LEDGER_WEBHOOK_ALLOWED_TARGETS: env.LEDGER_WEBHOOK_ALLOWED_TARGETS,
        }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const baseUrl = `http://127.0.0.1:${env.PORT}`;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`the service did not start:\n${output}`)), 30_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('ledger listening')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the service exited with ${code}:\n${output}`));
      });
    });
    child.removeAllListeners('exit');
    return new LedgerProcess(child, baseUrl);
  }

  post(path: string, body: unknown): Promise<Response> {
    return fetch(this.baseUrl + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  /** A request with an API key as bearer token; the answer's status and its JSON body (undefined if none). */
  async call(
    method: string,
    path: string,
    key: string,
    body?: unknown,
  ): Promise<{ status: number; body: any }> /* eslint-disable-line @typescript-eslint/no-explicit-any */ {
    const response = await fetch(this.baseUrl + path, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json().catch(() => undefined) };
  }

  /** Peak resident set size of the service so far, from /proc (Linux). */
  async peakRssBytes(): Promise<number> {
    const { readFile } = await import('node:fs/promises');
    const status = await readFile(`/proc/${this.child.pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
  }

  kill(signal: NodeJS.Signals): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) return resolve();
      this.child.once('exit', () => resolve());
      this.child.kill(signal);
    });
  }
}
