// One node: its facts, checks (live state, "test now"), charts of its probe series and the
// events that concern it.
import { useEffect, useState } from 'preact/hooks';
import { CanWrite } from '../session.jsx';
import { get, post, qs } from '../api.js';
import { navigate } from '../router.js';
import { useLive, watchSeries, useReconnects } from '../live.js';
import { Chart, appendSamples, bitRate } from '../components/chart.jsx';
import { Badge, Time, quote } from '../ui.jsx';
import { EventList } from './events.jsx';
import { useResourceList, ListView, ResourceTable, confirmDelete } from '../components/resource_list.jsx';
import { ActiveAlerts } from './alerts.jsx';
import { checkKinds } from '../kinds.js';
import { nodeType } from '../fields.js';
import { HostSection, isAgentHost, formatFact } from './host.jsx';
import { ms } from '../components/heartbeat.jsx';
import { NodeMetrics } from '../components/node_metrics.jsx';

export const RANGES = [
  ['1h', 3600e3],
  ['6h', 6 * 3600e3],
  ['24h', 86400e3],
  ['7d', 7 * 86400e3],
];

export async function range(selector, from, to) {
  const step = Math.max(1000, Math.round((to - from) / 240));
  const r = await get('/api/v1/query_range' + qs({ match: selector, from, to, step, agg: 'avg' }));
  return r.data.series;
}

// How each unit of the kinds' charts is drawn: seconds in ms, ratios in percent, byte counters
// as bit rates.
const UNITS = {
  seconds: { unit: ' ms', scale: 1000 },
  ratio: { unit: '%', scale: 100 },
  bytes_total: { format: bitRate },
};
const isRate = (chart) => chart.unit === 'bytes_total';

// The charts of the node's checks: each kind's, for the kinds it has checks of (and, for a chart
// with `when_option`, checks with that option on), in the kinds' order.
export function chartsFor(kinds, checks) {
  return kinds.flatMap((k) =>
    k.charts.filter((chart) =>
      checks.some((c) => c.kind === k.kind && (!chart.when_option || c.options?.[chart.when_option])),
    ),
  );
}

// A series' selector for one node.
const selector = (nodeName, { metric, matchers }) =>
  `${metric}{node=${quote(nodeName)}${matchers ? ',' + matchers : ''}}`;

// The selectors of the samples the page draws: every check's response time (its kind's series:
// a ping's round trip, another check's whole run), by "response:<kind>", and the charts' that
// are not rates, by chart id.
export function chartSelectors(nodeName, charts, kinds = [], checks = []) {
  const want = {};
  for (const k of kinds) {
    if (!checks.some((c) => c.kind === k.kind)) continue;
    const r = k.response || { metric: 'probe_duration_seconds' };
    const matchers = [`kind=${quote(k.kind)}`, r.matchers].filter(Boolean).join(',');
    want['response:' + k.kind] = selector(nodeName, { metric: r.metric, matchers });
  }
  for (const chart of charts) if (!isRate(chart)) want[chart.id] = selector(nodeName, chart.series[0]);
  return want;
}

// A counter chart's queries, one a series, asked of the PromQL engine rather than drawn from raw
// samples: bit rates summed by the legend's labels. The window is at least 5 minutes (several
// polls of a 1-minute check) and two steps, so every point has samples to take a rate of.
export function rateQueries(chart, nodeName, step_ms) {
  const window = `${Math.max(300, Math.ceil((2 * step_ms) / 1000))}s`;
  const by = chart.legend.filter((l) => !chart.series.some((s) => l in s.labels));
  return chart.series.map((s) => `sum by (${by.join(', ')}) (rate(${selector(nodeName, s)}[${window}])) * 8`);
}

// A Prometheus matrix ({metric, values: [[seconds, "value"]]}) as the charts' series, with the
// series' own labels.
export function fromMatrix(result, metric, labels) {
  return result.map((r) => ({
    metric,
    labels: { ...r.metric, ...labels },
    timestamps: r.values.map(([t]) => Math.round(t * 1000)),
    values: r.values.map(([, v]) => Number(v)),
  }));
}

// A line's name in the legend: its legend labels.
const lineName = (chart) => (s) => chart.legend.map((l) => s.labels[l] ?? '?').join(' ');

// A count that goes up `delay_ms` after new samples of `watched` arrive (the store has them by
// then), at most once per burst: what to read again on.
export function useFresh(watched, delay_ms) {
  const [fresh, setFresh] = useState(0);
  useEffect(() => {
    let timer = null;
    const stop = watchSeries(watched, () => {
      timer ??= setTimeout(() => {
        timer = null;
        setFresh((n) => n + 1);
      }, delay_ms);
    });
    return () => {
      clearTimeout(timer);
      stop();
    };
  }, [watched]);
  return fresh;
}

// A chart of PromQL range queries over the last `span`: `queries(step_ms)` gives each query with
// the labels its lines add. Read again a couple of seconds after new samples of `watched` arrive
// (the store has them by then), at most once per burst.
export function PromChart({ title, queries, watched, names, span, tick, reconnects, theme, minStep = 15e3, ...units }) {
  const [data, setData] = useState({ range: [0, 0] });
  const fresh = useFresh(watched, 2000);
  const asked = queries(0)
    .map((q) => q.query)
    .join('\n');
  useEffect(() => {
    let live = true;
    const to = Date.now(),
      from = to - span,
      step = Math.max(minStep, Math.round(span / 240));
    const ask = (query) =>
      get('/prometheus/api/v1/query_range' + qs({ query, start: from / 1000, end: to / 1000, step: step / 1000 })).then(
        (r) => r.data.result,
      );
    const list = queries(step);
    Promise.all(list.map((q) => ask(q.query)))
      .then(
        (results) =>
          live &&
          setData({
            range: [from, to],
            series: results.flatMap((r, i) => fromMatrix(r, title, list[i].labels)),
          }),
      )
      .catch(() => live && setData({ range: [from, to], series: [] }));
    return () => {
      live = false;
    };
  }, [asked, span, tick, fresh, reconnects]);
  return <Chart title={title} {...units} series={data.series} names={names} range={data.range} theme={theme} />;
}

// A counter chart of the node's checks: bit rates by the legend's labels.
function RateChart({ chart, node, ...rest }) {
  return (
    <PromChart
      title={chart.title}
      {...UNITS[chart.unit]}
      queries={(step) =>
        rateQueries(chart, node.name, step).map((query, i) => ({ query, labels: chart.series[i].labels }))
      }
      watched={selector(node.name, chart.series[0])}
      names={lineName(chart)}
      {...rest}
    />
  );
}

// A check's state change applied to a list of checks at once, then its full row (the run's
// result is not in the event) read again.
export function followStateChange(e, list) {
  list.setItems((items) =>
    items?.map((c) =>
      c.id === e.data.id ? { ...c, state: e.data.state, since: e.data.at, flapping: e.data.flapping } : c,
    ),
  );
  get(`/api/v1/checks/${e.data.id}`).then(
    (r) => list.setItems((items) => items?.map((c) => (c.id === r.data.id ? r.data : c))),
    () => {},
  );
}

// The buttons that choose a chart range (RANGES).
export function RangeButtons({ value, onChange, label = 'Time range' }) {
  return (
    <div class="seg" role="group" aria-label={label}>
      {RANGES.map(([name, ms]) => (
        <button type="button" aria-pressed={value === ms ? 'true' : 'false'} onClick={() => onChange(ms)}>
          {name}
        </button>
      ))}
    </div>
  );
}

// The range is loaded once (again after a reconnect, and every few minutes to follow the
// rollups); new samples arrive over the WebSocket and are appended as they come.
function Charts({ node, checks, kinds }) {
  const [span, setSpan] = useState(3600e3);
  const [data, setData] = useState({ range: [0, 0] });
  const [tick, setTick] = useState(0);
  const reconnects = useReconnects();
  const charts = chartsFor(kinds, checks);
  const want = chartSelectors(node.name, charts, kinds, checks);
  const wantKey = JSON.stringify(want);
  useEffect(() => {
    const t = setInterval(() => setTick((n) => n + 1), 300e3);
    return () => clearInterval(t);
  }, []);
  useEffect(() => {
    let live = true;
    const to = Date.now(),
      from = to - span;
    Promise.all(Object.entries(want).map(async ([k, s]) => [k, await range(s, from, to).catch(() => [])])).then(
      (pairs) =>
        live &&
        setData((d) => {
          // Samples that arrived while the range loaded stay.
          const out = { range: [from, to] };
          for (const [k, list] of pairs) out[k] = d.pending?.[k] ? appendSamples(list, d.pending[k], from) : list;
          return out;
        }),
    );
    const stops = Object.entries(want).map(([k, s]) =>
      watchSeries(s, (incoming) =>
        setData((d) => {
          const now = Date.now(),
            from = now - span;
          if (!d[k]) return { ...d, pending: { ...d.pending, [k]: [...(d.pending?.[k] || []), ...incoming] } };
          return { ...d, [k]: appendSamples(d[k], incoming, from), range: [from, now] };
        }),
      ),
    );
    return () => {
      live = false;
      stops.forEach((stop) => stop());
    };
  }, [wantKey, span, tick, reconnects]);
  const theme = document.documentElement.dataset.theme;
  return (
    <section aria-labelledby="charts-title">
      <div class="head">
        <h2 id="charts-title">Charts</h2>
        <RangeButtons value={span} onChange={setSpan} />
      </div>
      <p class="muted small">
        Response time is a ping's average round trip, and for other checks the time of the whole check.
      </p>
      <div class="charts">
        <Chart
          title="Response time by check"
          unit=" ms"
          scale={1000}
          series={Object.keys(want)
            .filter((k) => k.startsWith('response:'))
            .flatMap((k) => data[k] || [])}
          names={(s) => s.labels.check}
          range={data.range}
          theme={theme}
          empty="No check results in this range."
        />
        {charts.map((chart) =>
          isRate(chart) ? (
            <RateChart
              key={chart.id}
              chart={chart}
              node={node}
              span={span}
              tick={tick}
              reconnects={reconnects}
              theme={theme}
            />
          ) : (
            <Chart
              key={chart.id}
              title={chart.title}
              {...UNITS[chart.unit]}
              series={data[chart.id]}
              names={lineName(chart)}
              range={data.range}
              theme={theme}
            />
          ),
        )}
      </div>
    </section>
  );
}

// A check's last result, and the answer of "Test now" when there is one (run: {busy} |
// {result} | {error}).
function LastResult({ check: c, run }) {
  const last = c.last_result;
  return (
    <>
      {last ? (
        <span>
          {last.up ? 'OK' : last.error || 'failed'} · {ms(last.latency_ms ?? last.duration_ms)}
          {last.message ? ` · ${last.message}` : ''}
        </span>
      ) : (
        <span class="muted">no run yet</span>
      )}
      {run?.result && (
        <div class="run-result" role="status">
          Test: {run.result.up ? 'up' : 'down'}, {ms(run.result.latency_ms ?? run.result.duration_ms)}
          {run.result.message ? ` — ${run.result.message}` : ''}
        </div>
      )}
      {run?.error && (
        <div class="error" role="alert">
          {run.error}
        </div>
      )}
    </>
  );
}

const checkColumns = (runs, nodes) => [
  {
    label: 'State',
    props: { class: 'c-status' },
    cell: (c) => (
      <>
        <Badge status={c.state} />
        {c.flapping && <span class="chip">flapping</span>}
      </>
    ),
  },
  {
    label: 'Check',
    props: { class: 'c-name' },
    cell: (c) => (
      <>
        <a href={`/checks/${c.id}`}>{c.name}</a>
        <div class="muted small">
          {c.kind} · <code>{c.target}</code>
          {c.runs_on && ` · from ${nodes.get(c.runs_on)?.name ?? `node ${c.runs_on}`}`}
        </div>
      </>
    ),
  },
  {
    label: 'Last result',
    props: { 'data-label': 'Last result', class: 'c-result' },
    cell: (c) => <LastResult check={c} run={runs[c.id]} />,
  },
  { label: 'Since', props: { 'data-label': 'Since', class: 'c-since' }, cell: (c) => <Time at={c.since} never="–" /> },
];

const FACT_NAMES = { snmp: 'SNMP', descr: 'description', object_id: 'object id' };
const factName = (k) => FACT_NAMES[k] ?? k.replace(/_/g, ' ');

// A node's metadata as [name, key, value] rows: a nested object, such as the SNMP facts a
// discovery found, gives a row per value it has ("SNMP description").
export function metaRows(metadata) {
  return Object.entries(metadata || {}).flatMap(([k, v]) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.entries(v)
          .filter(([, x]) => x !== null && x !== '')
          .map(([sub, x]) => [`${factName(k)} ${factName(sub)}`, sub, x])
      : [[factName(k), k, v]],
  );
}

export function NodePage({ id }) {
  const { nodes, loaded } = useLive();
  const [missing, setMissing] = useState(false);
  const [kinds, setKinds] = useState(null);
  const [error, setError] = useState('');
  const [runs, setRuns] = useState({}); // check id -> the state of its "Test now"
  const node = nodes.get(id);

  // A state change of one of these checks changes its row at once; the run's full result (not
  // in the event) follows. Other check events may add or take checks: the list is read again.
  const checks = useResourceList('/api/v1/checks', {
    noun: 'checks',
    params: { node: id, sort: 'name' },
    perPage: 500,
    debounceMs: 300,
    onEvent: (e, l) => ownStateChange(e) && followStateChange(e, l),
    reloadOn: (e) => e.topic === 'checks' && !ownStateChange(e),
  });
  const checkIds = new Set((checks.items || []).map((c) => c.id));
  const ownStateChange = (e) => e.kind === 'check.state_changed' && checkIds.has(+e.subject);
  const concerns = (e) =>
    (e.topic === 'nodes' && +e.subject === id) || (e.topic === 'checks' && checkIds.has(+e.subject));
  // The log has no filter by node: its newest events are read (once the checks are known) and
  // kept when they concern the node or its checks; older ones a page at a time.
  const events = useResourceList('/api/v1/events', {
    noun: 'events',
    params: { order: 'desc' },
    skip: checks.items === null,
    filter: concerns,
    pageParams: (n, _items, paging) => ({ limit: 1000, before: n > 1 ? paging?.next_cursor : undefined }),
    onEvent: (e, l) => {
      if (concerns(e) || (e.topic === 'checks' && e.data?.check?.node_id === id)) l.setItems((x) => x && [e, ...x]);
    },
  });

  useEffect(() => {
    checkKinds().then(setKinds, (err) => setError(`Could not load the check kinds: ${err.message}`));
  }, []);

  useEffect(() => {
    if (loaded && !node)
      get(`/api/v1/nodes/${id}`).then(
        () => {},
        () => setMissing(true),
      );
    if (node) document.title = `${node.name} · Telltale`;
  }, [loaded, !node]);

  if (missing)
    return (
      <section class="card narrow">
        <h1>Node not found</h1>
        <p>
          It may have been deleted. <a href="/">Back to the overview</a>.
        </p>
      </section>
    );
  if (!node) return <p class="loading">Loading…</p>;

  const test = async (c) => {
    const done = (run) => setRuns((r) => ({ ...r, [c.id]: run }));
    done({ busy: true });
    try {
      done({ result: (await post(`/api/v1/checks/${c.id}/run`)).data });
    } catch (err) {
      done({ error: err.message });
    }
  };
  const remove = async () => {
    try {
      if (await confirmDelete(`/api/v1/nodes/${id}`, `Delete node “${node.name}”? Its checks stay, without a node.`))
        navigate('/');
    } catch (err) {
      setError(`Could not delete ${node.name}: ${err.message}`);
    }
  };
  const labels = Object.entries(node.labels || {});
  const meta = metaRows(node.metadata);
  return (
    <article class="node-page" aria-labelledby="node-title">
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href="/">Overview</a> › <span>{node.name}</span>
      </nav>
      <div class="head">
        <h1 id="node-title" tabIndex={-1}>
          {node.name}
        </h1>
        <Badge status={node.status} />
        <span class="spacer" />
        <CanWrite>
          <a class="button" href={`/nodes/${id}/edit`}>
            Edit
          </a>
          <button type="button" class="danger" onClick={remove}>
            Delete node
          </button>
        </CanWrite>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <dl class="facts">
        <dt>Type</dt>
        <dd>{nodeType(node.type)}</dd>
        <dt>Address</dt>
        <dd>{node.address ? <code>{node.address}</code> : '–'}</dd>
        <dt>Last seen</dt>
        <dd>
          <Time at={node.last_seen} />
        </dd>
        <dt>Labels</dt>
        <dd>
          {labels.length
            ? labels.map(([k, v]) => (
                <span class="chip">
                  {k}={v}
                </span>
              ))
            : '–'}
        </dd>
        {node.location && (
          <>
            <dt>Location</dt>
            <dd>
              {node.location.place ? `${node.location.place} · ` : ''}
              {node.location.lat}, {node.location.lon}
            </dd>
          </>
        )}
        {node.mac && (
          <>
            <dt>MAC</dt>
            <dd>
              <code>{node.mac}</code>
            </dd>
          </>
        )}
        {meta.map(([name, k, v]) => (
          <>
            <dt>{name}</dt>
            <dd>{formatFact(k, v)}</dd>
          </>
        ))}
      </dl>
      <ActiveAlerts labels={{ node: node.name }} />
      <section aria-labelledby="checks-title">
        <div class="head">
          <h2 id="checks-title">Checks</h2>
          <CanWrite>
            <a class="button primary" href={`/checks/new?node=${id}`}>
              Add check
            </a>
          </CanWrite>
        </div>
        <ResourceTable
          list={checks}
          class="checks"
          columns={checkColumns(runs, nodes)}
          empty="No checks on this node yet."
          more="More checks"
          row={(c) => ({ 'data-check': c.name })}
          actions={(c) => (
            <CanWrite>
              {!kinds?.find((k) => k.kind === c.kind)?.passive && (
                <button type="button" onClick={() => test(c)} disabled={runs[c.id]?.busy}>
                  Test now
                </button>
              )}
            </CanWrite>
          )}
        />
      </section>
      {isAgentHost(node) && <HostSection node={node} />}
      {checks.items && kinds && <Charts node={node} checks={checks.items} kinds={kinds} />}
      <NodeMetrics node={node} />
      <section aria-labelledby="events-title">
        <h2 id="events-title">Events</h2>
        <ListView list={events} empty="No events for this node yet." more="Older events">
          {(items) => <EventList events={items} />}
        </ListView>
      </section>
    </article>
  );
}
