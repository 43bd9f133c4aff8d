/* global fetch, sessionStorage, TextDecoderStream, setTimeout, clearTimeout, URLSearchParams, console */
// (Browser globals declared for ESLint: this file runs in the page, not in Node.)

const KEY_ITEM = 'ledger.apiKey';

/** The API key lives in session storage: gone when the tab closes, never in a URL, never in a cookie. */
export const session = {
  get key() {
    return sessionStorage.getItem(KEY_ITEM) ?? '';
  },
  set key(value) {
    if (value) sessionStorage.setItem(KEY_ITEM, value);
    else sessionStorage.removeItem(KEY_ITEM);
  },
};

/** A refused request, with the service's problem+json (title, detail, errors[{field, message}]). */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem ?? {};
  }
}

/**
 * A person signed in through staff sign-in holds an HttpOnly session cookie the page never sees; writes carry
 * the session's anti-forgery token, kept in memory only (GET /auth/session gives it).
 */
let csrfToken = '';

function headers(extra = {}) {
  const key = session.key;
  if (key) return { ...extra, authorization: `Bearer ${key}` };
  return csrfToken ? { ...extra, 'x-csrf-token': csrfToken } : extra;
}

/** The person signed in with the session cookie ({displayName, roles, authentication}), or null. */
export async function staffSession() {
  const response = await fetch('/auth/session', {
    cache: 'no-store',
    headers: { accept: 'application/json' },
  });
  if (!response.ok) {
    csrfToken = '';
    return null;
  }
  const signedIn = await response.json();
  csrfToken = signedIn.csrfToken;
  return signedIn;
}

/** How this service lets staff sign in: {singleSignOn, localAccounts, apiKeys}. */
export async function signInOptions() {
  const response = await fetch('/auth/options', {
    cache: 'no-store',
    headers: { accept: 'application/json' },
  });
  return response.ok ? response.json() : { singleSignOn: false, localAccounts: false, apiKeys: true };
}

/** Signs in with a local staff account; the service sets the session cookie. Throws ApiError when refused. */
export async function signInLocally(username, password, code) {
  const response = await fetch('/auth/local', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ username, password, code }),
  });
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => undefined));
}

/** Ends the staff session (the service clears the cookie). */
export async function signOutStaff() {
  await fetch('/auth/sign-out', { method: 'POST', headers: { 'x-csrf-token': csrfToken } });
  csrfToken = '';
}

const MIN_POSITION_HEADER = 'x-ledger-min-position';
/** How often a read is asked again when the service says its read models are still behind (503). */
const BEHIND_RETRIES = 3;

/**
 * Read-your-writes: the log position of this page's last write. Reads carry it, so the service answers only
 * once its read models show that write, and a rep sees what they recorded at once.
 */
let lastWrittenPosition = 0;

/** The highest log position in a write's answer (one event, or a batch's results). */
function positionOf(answer) {
  const positions = [answer?.position, ...(answer?.results ?? []).map((result) => result?.position)];
  return Math.max(0, ...positions.filter((position) => Number.isSafeInteger(position)));
}

/**
 * One JSON request to the service; throws ApiError for any answer that is not 2xx. Reads wait for the page's
 * last write, or for `minPosition` when that is later (an event the live stream announced).
 */
export async function api(path, { method = 'GET', body, signal, minPosition = 0 } = {}) {
  const reading = method === 'GET';
  for (let attempt = 0; ; attempt++) {
    const wanted = reading ? Math.max(lastWrittenPosition, minPosition) : 0;
    const response = await fetch(path, {
      method,
      signal,
      cache: 'no-store',
      headers: headers({
        ...(body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json' }),
        ...(wanted > 0 && { [MIN_POSITION_HEADER]: String(wanted) }),
      }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = { title: text.slice(0, 200) };
    }
    if (response.ok) {
      if (!reading) lastWrittenPosition = Math.max(lastWrittenPosition, positionOf(json));
      return json;
    }
    if (wanted > 0 && response.status === 503 && attempt < BEHIND_RETRIES) {
      await sleep(1000 * Number(response.headers.get('retry-after') ?? 1), signal);
      continue;
    }
    // A position the log does not have (the service was reset under an open page): forget it, ask once more.
    const staleWrite = json?.errors?.some?.((error) => error.field === MIN_POSITION_HEADER);
    if (wanted > 0 && response.status === 400 && staleWrite && attempt === 0) {
      lastWrittenPosition = 0;
      minPosition = 0;
      continue;
    }
    throw new ApiError(response.status, json);
  }
}

export const query = (params) => {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params))
    if (value !== undefined && value !== '') search.set(name, value);
  const text = search.toString();
  return text ? `?${text}` : '';
};

/**
 * Follows a server-sent-events endpoint until `signal` aborts, reconnecting with a growing pause. EventSource
 * cannot send an Authorization header, so the stream is read through fetch: the key stays out of the URL.
 * Calls onEvent({type, data}) per event and onState('connecting' | 'live' | 'retrying' | 'refused').
 */
export async function follow(path, { signal, onEvent, onState }) {
  let pause = 1000;
  while (!signal.aborted) {
    onState('connecting');
    try {
      const response = await fetch(path, {
        signal,
        cache: 'no-store',
        headers: headers({ accept: 'text/event-stream' }),
      });
      if (response.status === 401 || response.status === 403) {
        onState('refused', response.status);
        return;
      }
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      for await (const event of readEvents(response.body)) {
        if (event.type === 'ready') {
          pause = 1000;
          onState('live');
        }
        onEvent(event);
      }
    } catch (error) {
      if (signal.aborted) return;
      console.warn('live updates interrupted', error);
    }
    if (signal.aborted) return;
    onState('retrying');
    await sleep(pause, signal);
    pause = Math.min(pause * 2, 15000);
  }
}

/** Parses a text/event-stream body into {type, data} events (comments and ids are skipped). */
async function* readEvents(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      const blocks = buffer.split(/\r?\n\r?\n/);
      buffer = blocks.pop();
      for (const block of blocks) {
        let type = 'message';
        const data = [];
        for (const line of block.split(/\r?\n/)) {
          if (line.startsWith('event:')) type = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        }
        if (data.length > 0) yield { type, data: JSON.parse(data.join('\n')) };
      }
    }
  } finally {
    // Also on an early exit: lets go of the connection instead of leaving it half read.
    reader.cancel().catch(() => {});
  }
}

export function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
