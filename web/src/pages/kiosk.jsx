// The wall screen: node state counts, the firing alerts, the nodes with problems as tiles, and
// every node's heartbeat bar and uptime. Shown to a logged-in user at /?kiosk=1 (the live
// link's data), and without a login through a kiosk link (/?kiosk=ttk_…), which polls the
// three reads a link may make instead of opening the live link.
import { useEffect, useState } from 'preact/hooks';
import { get, getAll, setKioskToken } from '../api.js';
import { STATUSES, cap } from '../ui.jsx';
import { compareText } from '../live.js';
import { Heartbeat, percent } from '../components/heartbeat.jsx';
import { buildRows } from './overview.jsx';

const KIOSK_POLL_MS = 10e3;
const MAX_TILES = 400;
const MAX_BARS = 500;

// `rows` are the overview's (problems first), `avail` node id -> availability summary.
export function KioskView({ size, rows, counts, firing, avail }) {
  const problems = rows.filter((r) => r.node && r.node.status !== 'up');
  const nodes = rows.filter((r) => r.node);
  return (
    <section class="kiosk-view" aria-labelledby="kiosk-title">
      <h1 id="kiosk-title" class="visually-hidden">
        Nodes
      </h1>
      <div class="kiosk-counts">
        {STATUSES.map((s) => (
          <div class={'kcount s-' + s}>
            <span class="n">{counts[s]}</span>
            <span>{cap(s)}</span>
          </div>
        ))}
      </div>
      {firing > 0 && (
        <p class="kiosk-alerts">
          {firing} {firing === 1 ? 'alert' : 'alerts'} firing
        </p>
      )}
      {problems.length === 0 ? (
        <p class="kiosk-ok">All {size} nodes are up.</p>
      ) : (
        <ul class="tiles">
          {problems.slice(0, MAX_TILES).map(({ node: n }) => (
            <li class={'tile s-' + n.status}>
              <strong>{n.name}</strong>
              <span>{cap(n.status)}</span>
              <small>
                {Object.entries(n.labels || {})
                  .map(([k, v]) => `${k}=${v}`)
                  .join(' ')}
              </small>
            </li>
          ))}
          {problems.length > MAX_TILES && <li class="tile more">+{problems.length - MAX_TILES} more</li>}
        </ul>
      )}
      {avail && nodes.length > 0 && (
        <ul class="kiosk-nodes" aria-label="Recent runs">
          {nodes.slice(0, MAX_BARS).map(({ node: n }) => (
            <li class={'knode s-' + n.status} data-node={n.name}>
              <span class="kname">{n.name}</span>
              <Heartbeat beats={avail[n.id]?.heartbeat} slotMs={avail[n.id]?.slot_ms} />
              <span class="kup" title="Uptime over 24 hours">
                {percent(avail[n.id]?.uptime?.['24h'])}
              </span>
            </li>
          ))}
          {nodes.length > MAX_BARS && <li class="muted">+{nodes.length - MAX_BARS} more</li>}
        </ul>
      )}
    </section>
  );
}

const NO_FILTER = { q: '', status: [], type: '', group: '', sort: 'status', collapsed: new Set() };

// The wall screen of a kiosk link: reads every `pollMs`; a link the server refuses (unknown,
// revoked) is said so, and reading stops; a server out of reach keeps the last picture, marked.
export function KioskLinkPage({ token, pollMs = KIOSK_POLL_MS }) {
  const [state, setState] = useState({ kind: 'loading' });
  useEffect(() => {
    setKioskToken(token);
    document.title = 'Wall screen · Telltale';
    let live = true;
    let timer = 0;
    const read = async () => {
      try {
        const [nodes, firing, avail] = await Promise.all([
          getAll('/api/v1/nodes', { sort: 'name' }),
          get('/api/v1/alerts?state=firing&per_page=1'),
          get('/api/v1/availability/nodes'),
        ]);
        if (!live) return;
        nodes.sort((a, b) => compareText(a.name, b.name) || a.id - b.id);
        setState({ kind: 'ok', nodes, firing: firing.pagination?.total ?? 0, avail: avail.data, stale: '' });
      } catch (err) {
        if (!live) return;
        if (err.status === 401 || err.status === 403) {
          clearInterval(timer);
          return setState({ kind: 'invalid' });
        }
        setState((s) => ({ ...s, kind: s.kind === 'loading' ? 'error' : s.kind, stale: err.message }));
      }
    };
    read();
    timer = setInterval(read, pollMs);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [token, pollMs]);

  if (state.kind === 'invalid')
    return (
      <section class="card narrow kiosk-invalid" role="alert">
        <h1>This wall screen link is no longer valid</h1>
        <p>It was revoked, or it was never a link of this server. Ask an administrator for a new one.</p>
      </section>
    );
  if (state.kind === 'loading') return <p class="loading">Loading…</p>;
  if (state.kind === 'error')
    return (
      <p class="narrow error" role="alert">
        {state.stale} Trying again every {Math.round(pollMs / 1000)} s.
      </p>
    );
  const { rows, counts } = buildRows(state.nodes, { ...NO_FILTER, avail: state.avail });
  return (
    <>
      {state.stale && (
        <p class="kiosk-stale" role="status">
          Not current: {state.stale} Trying again every {Math.round(pollMs / 1000)} s.
        </p>
      )}
      <KioskView size={state.nodes.length} rows={rows} counts={counts} firing={state.firing} avail={state.avail} />
    </>
  );
}
