// The live link: one WebSocket subscribed to every event, the event cursor, catch-up after a
// reconnect (GET /api/v1/events?after=cursor), the node inventory and the firing alerts the
// pages share; pages add `series:<selector>` topics for new samples (watchSeries) on the same
// socket.
//
// Events go to handlers in id order, each once: the ones missed while disconnected are fetched
// before those that arrived meanwhile. Rendering is coalesced to one animation frame, so a
// burst of status changes costs one render.
import { useEffect, useState } from 'preact/hooks';
import { get, getAll, credentialEnded } from './api.js';
import { withBase } from './base.js';

export const nodes = new Map(); // id -> node, kept current by node events
// Ids sorted by name, rebuilt only when a node comes, goes or is renamed: status changes, the
// bulk of live traffic, leave the order alone, so lists need no sort per frame.
let idsByName = null;
const collator = new Intl.Collator(undefined, { numeric: true });
export const compareText = collator.compare;
export function nodesByName() {
  idsByName ??= [...nodes.values()].sort((a, b) => compareText(a.name, b.name) || a.id - b.id).map((n) => n.id);
  return idsByName.map((id) => nodes.get(id));
}
// Ids of the firing alerts (for the navigation's count), kept current by alert events.
export const firingAlerts = new Set();
export const conn = { state: 'offline', latency_ms: null, rtt_ms: null, last_event_at: null };
// Event ids follow commit order, but events committed by different threads (check results,
// alert evaluation, API handlers) may be published in another order: so handled ids are
// remembered over a window, not as one cursor, and an event that comes late is still handled
// once. A node takes only an event newer than the last one applied to it.
const LATE = 1000; // how far below the newest id an event may come late
let cursor = 0; // newest id handled
let floor = 0; // ids at or below it are done (handled or in the snapshot)
const seen = new Set(); // ids handled above floor
const nodeEventId = new Map(); // node id -> id of the event last applied to it
let loaded = false;
let version = 0;
const eventHandlers = new Set();
const renderers = new Set();
let frame = 0;

function changed() {
  version++;
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    renderers.forEach((fn) => fn(version));
  });
}

// Re-renders the calling component after any change of the nodes or the connection.
export function useLive() {
  const [, set] = useState(version);
  useEffect(() => {
    renderers.add(set);
    return () => renderers.delete(set);
  }, []);
  return { nodes, conn, loaded };
}

// fn(event) for every event from now on (live or caught up); returns the unsubscribe function.
export function onEvent(fn) {
  eventHandlers.add(fn);
  return () => eventHandlers.delete(fn);
}
export function useEvents(fn, deps) {
  useEffect(() => onEvent(fn), deps);
}

function handle(e) {
  if (e.id <= floor || seen.has(e.id)) return;
  seen.add(e.id);
  if (e.id > cursor) cursor = e.id;
  if (seen.size > 2 * LATE) {
    floor = Math.max(floor, cursor - LATE);
    for (const id of seen) if (id <= floor) seen.delete(id);
  }
  if (e.topic === 'nodes') {
    const n = e.data?.node;
    if (n && (nodeEventId.get(n.id) ?? 0) < e.id) {
      nodeEventId.set(n.id, e.id);
      if (e.kind !== 'node.updated' || e.data.changed?.includes('name')) idsByName = null;
      e.kind === 'node.deleted' ? nodes.delete(n.id) : nodes.set(n.id, n);
    }
  }
  const alert = e.topic === 'alerts' ? e.data?.alert : null;
  if (alert) alert.state === 'firing' ? firingAlerts.add(alert.id) : firingAlerts.delete(alert.id);
  conn.last_event_at = Date.now();
  const at = Date.parse(e.at);
  if (at) conn.latency_ms = Math.max(0, Date.now() - at);
  for (const fn of eventHandlers) {
    try {
      fn(e);
    } catch (err) {
      console.error(err);
    }
  }
  changed();
}

async function loadNodes() {
  // The cursor first: events after it are applied on top of the list, and node events carry
  // the whole node, so one that the list already reflects changes nothing. Events at or below
  // it were committed before the lists were read, so the lists hold them.
  const latest = await get('/api/v1/events?order=desc&limit=1');
  cursor = floor = latest.data[0]?.id ?? 0;
  seen.clear();
  nodeEventId.clear();
  const [list, firing] = await Promise.all([
    getAll('/api/v1/nodes', { sort: 'name' }),
    getAll('/api/v1/alerts', { state: 'firing' }),
  ]);
  nodes.clear();
  for (const n of list) nodes.set(n.id, n);
  firingAlerts.clear();
  for (const a of firing) firingAlerts.add(a.id);
  idsByName = null;
  loaded = true;
  changed();
}

// Events since the cursor (and the window below it, for late ones), in pages; false when too
// many were missed to replay them.
async function catchUp() {
  let after = Math.max(floor, cursor - LATE);
  for (let pages = 0; pages < 20; pages++) {
    const r = await get(`/api/v1/events?after=${after}&limit=1000`);
    r.data.forEach(handle);
    if (!r.pagination?.has_next || !r.data.length) return true;
    after = r.data[r.data.length - 1].id;
  }
  return false;
}

let ws = null,
  timer = 0,
  pinger = 0,
  attempt = 0,
  stopped = true,
  pingSent = 0;

// Series topics watched by pages: topic -> Set of fn(series[]). Samples are not events: there
// is no catch-up for them (a page reloads its range after a reconnect, see useReconnects).
const seriesWatchers = new Map();
const sendTopics = (type, topics) => {
  if (ws?.readyState === 1 && topics.length) ws.send(JSON.stringify({ type, topics }));
};

// fn(series) with each batch of new samples of the series that match the selector, as
// {metric, labels, timestamps, values}; returns the function that stops watching.
export function watchSeries(selector, fn) {
  const topic = 'series:' + selector;
  let set = seriesWatchers.get(topic);
  if (!set) {
    seriesWatchers.set(topic, (set = new Set()));
    sendTopics('subscribe', [topic]);
  }
  set.add(fn);
  return () => {
    set.delete(fn);
    if (set.size || seriesWatchers.get(topic) !== set) return;
    seriesWatchers.delete(topic);
    sendTopics('unsubscribe', [topic]);
  };
}

// A counter that grows each time the link is live again after a drop, for pages that reload
// what has no catch-up.
let reconnects = 0;
export const useReconnects = () => {
  useLive();
  return reconnects;
};

function setState(state) {
  conn.state = state;
  changed();
}

const REVOKED = 'Your session has ended (logged out elsewhere, or its password or token changed). Please log in again.';

function open() {
  clearTimeout(timer);
  const sock = new WebSocket(location.origin.replace(/^http/, 'ws') + withBase('/api/v1/ws'));
  ws = sock;
  let queue = []; // events that arrive while the catch-up runs
  let synced = false; // the first "subscribed" starts the catch-up; later ones answer watchSeries
  sock.onopen = () => sock.send(JSON.stringify({ type: 'subscribe', topics: ['events', ...seriesWatchers.keys()] }));
  sock.onmessage = async (m) => {
    let msg;
    try {
      msg = JSON.parse(m.data);
    } catch {
      return;
    }
    if (msg.type === 'event' && msg.topic === 'events') {
      if (queue) queue.push(msg.data);
      else handle(msg.data);
    } else if (msg.type === 'event' && seriesWatchers.has(msg.topic)) {
      for (const fn of seriesWatchers.get(msg.topic)) {
        try {
          fn(msg.data?.series || []);
        } catch (err) {
          console.error(err);
        }
      }
    } else if (msg.type === 'pong') {
      conn.rtt_ms = Math.round(performance.now() - pingSent);
      changed();
    } else if (msg.type === 'subscribed' && !synced) {
      synced = true;
      const again = loaded;
      try {
        if (!loaded) await loadNodes();
        else if (!(await catchUp())) await loadNodes();
      } catch {
        return sock.close();
      }
      if (ws !== sock) return;
      queue.forEach(handle);
      queue = null;
      attempt = 0;
      if (again) reconnects++;
      setState('live');
      ping();
    }
  };
  sock.onclose = (ev) => {
    if (ws !== sock) return;
    ws = null;
    clearInterval(pinger);
    if (stopped) return setState('offline');
    // 1008: the server ended the credential the link was opened with (a logout elsewhere, a
    // revoked token, a changed password, its expiry). Reconnecting cannot help: log in again.
    if (ev?.code === 1008) {
      stop();
      return credentialEnded(REVOKED);
    }
    setState('reconnecting');
    // Exponential backoff from 0.5 s to 30 s, with jitter so a restarted server is not stormed.
    timer = setTimeout(open, Math.min(30000, 500 * 2 ** attempt++) * (0.5 + Math.random() / 2));
  };
}

function ping() {
  clearInterval(pinger);
  const send = () => {
    if (ws?.readyState !== 1) return;
    pingSent = performance.now();
    ws.send('{"type":"ping"}');
  };
  send();
  pinger = setInterval(send, 15000);
}

// Retry at once when the network or the tab comes back.
const retryNow = () => {
  if (!stopped && !ws) {
    attempt = 0;
    open();
  }
};
window.addEventListener('online', retryNow);
document.addEventListener('visibilitychange', () => {
  if (!document.hidden) retryNow();
});

export function start() {
  if (!stopped) return;
  stopped = false;
  setState('connecting');
  open();
}

export function stop() {
  stopped = true;
  clearTimeout(timer);
  clearInterval(pinger);
  const sock = ws;
  ws = null;
  sock?.close();
  nodes.clear();
  firingAlerts.clear();
  idsByName = null;
  loaded = false;
  cursor = floor = 0;
  seen.clear();
  nodeEventId.clear();
  setState('offline');
}
