// JSON API client: unwraps {success, data}, adds the CSRF header to mutating requests, and
// throws {status, code, message, fields, retryAfter} for failures. Paths are the API's
// ('/api/v1/…'); the base path (base.js) is added here.
import { withBase } from './base.js';

let csrf = null;
let kiosk = null;
let onUnauthorized = () => {};
export const setCsrf = (token) => {
  csrf = token;
};
// A kiosk link's token (the wall screen opened without a login): sent as
// `Authorization: Kiosk <token>` on every request, which the server takes on its kiosk routes only.
export const setKioskToken = (token) => {
  kiosk = token;
};
// fn(notice) runs when the server no longer takes the session's credential: the app ends the
// session and shows the login page, with `notice` (undefined: a 401 to a request).
export const setUnauthorizedHandler = (fn) => {
  onUnauthorized = fn;
};
// Says the credential has ended although no request was refused (the live link closed with
// 1008): the same way out as a 401.
export const credentialEnded = (notice) => onUnauthorized(notice);
const PUBLIC = ['/api/v1/auth/login', '/api/v1/setup', '/api/v1/auth/me'];

export async function api(method, path, body) {
  const headers = {};
  if (kiosk) headers.Authorization = `Kiosk ${kiosk}`;
  if (method !== 'GET') {
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (csrf) headers['X-CSRF-Token'] = csrf;
  }
  let res, json;
  try {
    res = await fetch(withBase(path), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw { status: 0, message: 'Cannot reach the server.', fields: [] };
  }
  try {
    json = await res.json();
  } catch {
    json = null;
  }
  if (res.ok && json?.success !== false) return json || {};
  // The Prometheus API's own shape: {"status":"error","errorType","error":"message"}.
  const e = typeof json?.error === 'string' ? { code: json.errorType, message: json.error } : json?.error || {};
  const err = {
    status: res.status,
    code: e.code,
    message: e.message || `Request failed (${res.status})`,
    fields: e.details?.fields || [],
    retryAfter: res.headers.get('Retry-After'),
  };
  if (res.status === 401 && !kiosk && !PUBLIC.includes(path.split('?')[0])) onUnauthorized();
  throw err;
}

export const get = (path) => api('GET', path);
export const post = (path, body = {}) => api('POST', path, body);
export const patch = (path, body) => api('PATCH', path, body);
export const del = (path) => api('DELETE', path);

// Query string from an object, skipping empty values; arrays repeat the key.
export function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    for (const x of Array.isArray(v) ? v : [v]) if (x !== undefined && x !== null && x !== '') p.append(k, x);
  }
  const s = p.toString();
  return s ? '?' + s : '';
}

// Every page of a list (per_page 500), the first alone (it tells how many there are), then
// four at a time: for the node inventory the overview keeps in memory.
export async function getAll(path, params = {}) {
  const page = (n) => get(path + qs({ ...params, page: n, per_page: 500 }));
  const first = await page(1);
  const out = [...first.data];
  const pages = first.pagination?.total_pages || 1;
  for (let n = 2; n <= pages; n += 4) {
    const batch = [n, n + 1, n + 2, n + 3].filter((x) => x <= pages);
    for (const r of await Promise.all(batch.map(page))) out.push(...r.data);
  }
  return out;
}

// A GET of what does not change while the server runs (the binary's own tables): asked once and
// shared by every caller; a failure is asked again next time. Resolves to the answer's data.
export function getOnce(path) {
  let pending = null;
  return () =>
    (pending ??= get(path).then(
      (r) => r.data,
      (err) => {
        pending = null;
        throw err;
      },
    ));
}
