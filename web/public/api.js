// JSON API client: unwraps {success, data}, adds the CSRF header to mutating requests.
let csrf = null;
let onUnauthorized = () => {};
export const setCsrf = (token) => { csrf = token; };
export const setUnauthorizedHandler = (fn) => { onUnauthorized = fn; };
const PUBLIC = ['/api/v1/auth/login', '/api/v1/setup', '/api/v1/auth/me'];

export async function api(method, path, body) {
  const headers = {};
  if (method !== 'GET') {
    headers['Content-Type'] = 'application/json';
    if (csrf && !PUBLIC.includes(path)) headers['X-CSRF-Token'] = csrf;
  }
  let res, json;
  try {
    res = await fetch(path, { method, headers, body: body && JSON.stringify(body) });
  } catch {
    throw { status: 0, message: 'Cannot reach the server.' };
  }
  try { json = await res.json(); } catch { json = null; }
  if (res.ok && json?.success !== false) return json || {};
  const e = json?.error || {};
  const err = { status: res.status, code: e.code, message: e.message || `Request failed (${res.status})`,
    fields: e.details?.fields || [], retryAfter: res.headers.get('Retry-After') };
  if (res.status === 401 && !PUBLIC.includes(path)) onUnauthorized();
  throw err;
}

export const get = (path) => api('GET', path);
export const post = (path, body = {}) => api('POST', path, body);
export const del = (path) => api('DELETE', path);
