// Calls to the registry's own REST API: credentials, the Confluent content type, and the
// registry's error body turned into an ApiError that carries its message.

const KEY = 'schemaflow.registry.authorization';

// The API is served next to the page: /ui/ → /, /prefix/ui/ → /prefix.
export const BASE = location.pathname.replace(/\/ui\/.*$/, '').replace(/\/ui$/, '');

/** An error answer: the HTTP status, Confluent's error_code and the registry's message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Remember basic credentials for this tab (sessionStorage: gone when the tab closes). */
export function signInBasic(user, password) {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  sessionStorage.setItem(KEY, `Basic ${btoa(bin)}`);
}

/** Remember a bearer token for this tab. */
export function signInBearer(token) {
  sessionStorage.setItem(KEY, `Bearer ${token}`);
}

export function signOut() {
  sessionStorage.removeItem(KEY);
}

export function signedIn() {
  return sessionStorage.getItem(KEY) !== null;
}

/** Encode one path segment (a subject may hold '/', ':' or spaces). */
export const seg = encodeURIComponent;

/**
 * Call the API: `method` `path` (from the registry's root, query included) with a JSON
 * `body`; answers the parsed JSON, or throws an ApiError with the registry's message.
 */
export async function call(method, path, body) {
  const headers = { Accept: 'application/vnd.schemaregistry.v1+json, application/json' };
  const auth = sessionStorage.getItem(KEY);
  if (auth) headers.Authorization = auth;
  const init = { method, headers, credentials: 'omit' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/vnd.schemaregistry.v1+json';
    init.body = JSON.stringify(body);
  }
  // credentials 'omit': a 401 comes back to the page (its sign-in form) instead of opening
  // the browser's own basic-auth dialog; the Authorization header set here is still sent.
  let r;
  try {
    r = await fetch(BASE + path, init);
  } catch (e) {
    throw new ApiError(0, 0, `The registry does not answer (${e.message})`);
  }
  const text = await r.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!r.ok) {
    const message = json && typeof json.message === 'string' ? json.message : `HTTP ${r.status}`;
    const code = json && typeof json.error_code === 'number' ? json.error_code : r.status;
    throw new ApiError(r.status, code, message);
  }
  return json;
}

export const get = (path) => call('GET', path);

/**
 * GET, answering `fallback` for the listed error codes or HTTP statuses (a subject without a
 * level of its own: 40408; a user who may not read the global config: 403).
 */
export async function getOr(path, codes, fallback) {
  try {
    return await get(path);
  } catch (e) {
    if (e instanceof ApiError && (codes.includes(e.code) || codes.includes(e.status))) return fallback;
    throw e;
  }
}

/** What the caller may do: {user, config, subjects: {name: WRITE|READ|NONE}}. */
export async function permissions(subjects = []) {
  const q = subjects.map((s) => `subject=${seg(s)}`).join('&');
  return get(`/v1/metadata/permissions${q ? `?${q}` : ''}`);
}

/** Run `f` over `items`, at most `width` at a time (the browser's connections). */
export async function pool(items, width, f) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}
