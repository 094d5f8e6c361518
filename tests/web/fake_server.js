// A stand-in for the server in component tests: fetch answered by a route table, and a
// WebSocket the test drives (open, "subscribed", events), so pages run through the real api.js
// and live.js.
export const calls = [];
let routes = [];

// The resources' field tables (GET /api/v1/fields) as the server serves them, the fields the pages
// read (inventory/node.cpp, alerts/rule.cpp); answered when a test routes nothing else there.
export const FIELDS = {
  nodes: [
    {
      name: 'type',
      type: 'choice',
      choices: ['baremetal', 'vm', 'container', 'network', 'iot'],
      required: true,
      secret: false,
      default: null,
      help: '',
    },
  ],
  'alert-rules': [
    {
      name: 'severity',
      type: 'choice',
      choices: ['critical', 'warning', 'info'],
      required: true,
      secret: false,
      default: null,
      help: '',
    },
  ],
};
const defaults = [{ method: 'GET', prefix: '/api/v1/fields', answer: FIELDS }];

// route(method, pathPrefix, answer): answer is data, or fn({method, path, query, body}) -> data
// or {status, json}; the newest matching route wins.
export function route(method, prefix, answer) {
  routes.unshift({ method, prefix, answer });
}
export function reset() {
  routes = [];
  calls.length = 0;
}
const envelope = (data) =>
  Array.isArray(data)
    ? { success: true, data, pagination: { page: 1, total_pages: 1, has_next: false } }
    : { success: true, data };

globalThis.fetch = async (url, init = {}) => {
  const u = new URL(url, 'http://localhost/');
  const method = init.method || 'GET';
  const req = {
    method,
    path: u.pathname,
    query: u.searchParams,
    headers: init.headers || {},
    body: init.body ? JSON.parse(init.body) : undefined,
  };
  calls.push(req);
  const matches = (x) => x.method === method && (u.pathname + u.search).startsWith(x.prefix);
  const r = routes.find(matches) ?? defaults.find(matches);
  let out = r
    ? typeof r.answer === 'function'
      ? r.answer(req)
      : r.answer
    : { status: 404, json: { success: false, error: { code: 'NOT_FOUND', message: 'no route' } } };
  if (!out || out.status === undefined) out = { status: 200, json: envelope(out) };
  return new Response(JSON.stringify(out.json), {
    status: out.status,
    headers: { 'Content-Type': 'application/json' },
  });
};

export const sockets = [];
globalThis.WebSocket = class {
  constructor(url) {
    this.url = url;
    this.sent = [];
    this.readyState = 1;
    sockets.push(this);
    setTimeout(() => this.onopen?.(), 0);
  }
  send(m) {
    this.sent.push(JSON.parse(m));
  }
  close() {
    this.readyState = 3;
    this.onclose?.();
  }
  // The server closes the link with this close code.
  drop(code) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
  receive(msg) {
    return this.onmessage?.({ data: JSON.stringify(msg) });
  }
};

// Resolves when check() is true (polled), failing after timeout_ms.
export async function until(check, what = 'the condition', timeout_ms = 3000) {
  const end = Date.now() + timeout_ms;
  for (;;) {
    if (check()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// Starts the app's live link (`start` of web/src/live.js) on the fake socket, subscribed to the
// events, the lists it reads first answered as given (empty by default: for pages that listen to
// events), and returns an empty element of the document to render pages into.
export async function startLive(start, { events = [{ id: 10 }], nodes = [], alerts = [] } = {}) {
  route('GET', '/api/v1/events', events);
  route('GET', '/api/v1/nodes', nodes);
  route('GET', '/api/v1/alerts', alerts);
  start();
  await until(() => sockets.length === 1, 'the socket');
  await new Promise((r) => setTimeout(r, 5));
  await sockets[0].receive({ type: 'subscribed', topics: ['events'] });
  document.body.innerHTML = '<div id="root"></div>';
  return document.getElementById('root');
}
