import { execFile } from 'node:child_process';
import { join } from 'node:path';

const API_MODULE = join(__dirname, '..', '..', 'src', 'interfaces', 'web', 'public', 'api.js');

/** One answer the fake service gives: status, JSON body, headers. */
interface Answer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/** One call the page made: where, how, with which headers. */
interface Call {
  readonly path: string;
  readonly method: string;
  readonly headers: Record<string, string>;
}

/**
 * Runs the page's api.js (an ES module for the browser) in a Node process of its own, with `fetch` and
 * `sessionStorage` standing in for the browser's: each request gets the next answer, and every call is
 * recorded. `script` is the body of an async function given `api`; it returns what the test wants back.
 */
function inPage(answers: Answer[], script: string): Promise<{ calls: Call[]; result: unknown }> {
  const program = `
    globalThis.sessionStorage = { getItem: () => null, setItem() {}, removeItem() {} };
    const answers = ${JSON.stringify(answers)};
    const calls = [];
    globalThis.fetch = async (path, init) => {
      calls.push({ path, method: init.method, headers: init.headers });
      const answer = answers.shift();
      return new Response(answer.body === undefined ? '' : JSON.stringify(answer.body), {
        status: answer.status,
        headers: answer.headers,
      });
    };
    const { api, ApiError } = await import(${JSON.stringify(API_MODULE)});
    let result;
    try {
      result = await (async () => { ${script} })();
    } catch (error) {
      result = { thrown: error instanceof ApiError ? error.status : String(error) };
    }
    process.stdout.write(JSON.stringify({ calls, result }));
  `;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--no-warnings', '--input-type=module', '-e', program],
      { timeout: 30_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as { calls: Call[]; result: unknown });
      },
    );
  });
}

const MIN_POSITION = 'x-ledger-min-position';

describe('service-rep page: read-your-writes in api.js', () => {
  it('reads without a minimum position until the page writes, then carries the position of its last write', async () => {
    const { calls } = await inPage(
      [
        { status: 200, body: { customerId: 'c-1' } },
        { status: 201, body: { eventId: 'e-1', position: 41 } },
        { status: 200, body: { entries: [] } },
        { status: 201, body: { results: [{ position: 43 }, { position: 45 }] } },
        { status: 200, body: { customerId: 'c-1' } },
      ],
      `
        await api('/v1/customers/c-1');
        await api('/v1/touchpoints', { method: 'POST', body: { customerId: 'c-1' } });
        await api('/v1/customers/c-1/timeline');
        await api('/v1/touchpoints/batch', { method: 'POST', body: { touchpoints: [] } });
        await api('/v1/customers/c-1');
      `,
    );

    expect(calls.map((call) => [call.method, call.headers[MIN_POSITION]])).toEqual([
      ['GET', undefined],
      ['POST', undefined],
      ['GET', '41'],
      ['POST', undefined],
      ['GET', '45'],
    ]);
  });

  it('waits for a later position when a read asks for one (an event the live stream announced)', async () => {
    const { calls } = await inPage(
      [
        { status: 201, body: { position: 5 } },
        { status: 200, body: {} },
        { status: 200, body: {} },
      ],
      `
        await api('/v1/touchpoints', { method: 'POST', body: {} });
        await api('/v1/customers/c-1/timeline', { minPosition: 9 });
        await api('/v1/customers/c-1/timeline', { minPosition: 2 });
      `,
    );

    expect(calls.map((call) => call.headers[MIN_POSITION])).toEqual([undefined, '9', '5']);
  });

  it('asks again when the service says its read models are still behind, then gives up with the 503', async () => {
    const behind = { status: 503, body: { title: 'behind' }, headers: { 'retry-after': '0' } };
    const caughtUp = await inPage(
      [{ status: 201, body: { position: 8 } }, behind, behind, { status: 200, body: { fresh: true } }],
      `
        await api('/v1/touchpoints', { method: 'POST', body: {} });
        return api('/v1/customers/c-1');
      `,
    );
    const stillBehind = await inPage(
      [{ status: 201, body: { position: 8 } }, behind, behind, behind, behind],
      `
        await api('/v1/touchpoints', { method: 'POST', body: {} });
        return api('/v1/customers/c-1');
      `,
    );

    expect(caughtUp.result).toEqual({ fresh: true });
    expect(caughtUp.calls).toHaveLength(4);
    expect(stillBehind.result).toEqual({ thrown: 503 });
    expect(stillBehind.calls).toHaveLength(5);
  });

  it('forgets a position the log does not have (the service was reset under an open page) and asks once more', async () => {
    const { calls, result } = await inPage(
      [
        { status: 201, body: { position: 900 } },
        { status: 400, body: { errors: [{ field: MIN_POSITION, message: 'lies beyond the log head' }] } },
        { status: 200, body: { found: true } },
        { status: 200, body: {} },
      ],
      `
        await api('/v1/touchpoints', { method: 'POST', body: {} });
        const found = await api('/v1/customers/c-1');
        await api('/v1/customers/c-1');
        return found;
      `,
    );

    expect(result).toEqual({ found: true });
    expect(calls.map((call) => call.headers[MIN_POSITION])).toEqual([undefined, '900', undefined, undefined]);
  });
});
