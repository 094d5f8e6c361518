// One check: its live state and last result, "run now", pause and resume; its recent runs as a
// heartbeat bar, uptime and response figures, a chart of its response time, its outages and its
// events. The form that edits it is at /checks/<id>/edit.
import { useEffect, useState } from 'preact/hooks';
import { get, patch, post, qs } from '../api.js';
import { useLive, useEvents } from '../live.js';
import { useCan } from '../session.jsx';
import { Chart } from '../components/chart.jsx';
import { Heartbeat, percent, ms } from '../components/heartbeat.jsx';
import { useResourceList, ListView, ResourceTable, EditorError } from '../components/resource_list.jsx';
import { Badge, Time, quote } from '../ui.jsx';
import { checkKinds } from '../kinds.js';
import { EventList } from './events.jsx';
import { RANGES, RangeButtons, range, useFresh } from './node.jsx';

// The selector of a check's response series (a ping's round trip, another kind's whole run).
export function responseSelector(check, kind) {
  const r = kind?.response || { metric: 'probe_duration_seconds' };
  return `${r.metric}{check=${quote(check.name)}${r.matchers ? ',' + r.matchers : ''}}`;
}

// "3 h 12 min" from milliseconds.
export function span(ms) {
  const m = Math.round(ms / 60e3);
  if (m < 1) return `${Math.max(1, Math.round(ms / 1e3))} s`;
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h${m % 60 ? ` ${m % 60} min` : ''}`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

function Figures({ summary: s, check: c }) {
  const days = c.last_result?.facts?.cert_days;
  return (
    <dl class="figures">
      {['24h', '7d', '30d'].map((k) => (
        <div>
          <dt>Uptime {k.replace(/(\d+)/, '$1 ')}</dt>
          <dd>{percent(s?.uptime?.[k])}</dd>
        </div>
      ))}
      <div>
        <dt>Response 24 h</dt>
        <dd>{ms(s?.latency_ms?.['24h'])}</dd>
      </div>
      {days != null && (
        <div>
          <dt>Certificate</dt>
          <dd class={days < 14 ? 'warn' : ''}>{Math.floor(days)} days</dd>
        </div>
      )}
    </dl>
  );
}

function ResponseChart({ check, kind }) {
  const [spanMs, setSpan] = useState(RANGES[0][1]);
  const [data, setData] = useState({ series: [], range: [0, 0] });
  const selector = responseSelector(check, kind);
  const fresh = useFresh(selector, 2000);
  useEffect(() => {
    let live = true;
    const to = Date.now(),
      from = to - spanMs;
    range(selector, from, to).then(
      (series) => live && setData({ series, range: [from, to] }),
      () => {},
    );
    return () => {
      live = false;
    };
  }, [selector, spanMs, fresh]);
  return (
    <section aria-labelledby="response-title">
      <div class="head">
        <h2 id="response-title">Response time</h2>
        <RangeButtons value={spanMs} onChange={setSpan} />
      </div>
      <p class="muted small">
        {check.kind === 'icmp' ? 'The average round trip of the packets of each run.' : 'The time of each run.'}
      </p>
      <Chart
        title={check.name}
        unit=" ms"
        scale={1000}
        series={data.series}
        names={() => check.name}
        range={data.range}
        theme={document.documentElement.dataset.theme}
        empty="No runs in this range."
      />
    </section>
  );
}

const outageColumns = [
  { label: 'From', cell: (o) => <Time at={o.from} /> },
  {
    label: 'Lasted',
    cell: (o) => (o.to ? span(Date.parse(o.to) - Date.parse(o.from)) : <strong>ongoing</strong>),
  },
  { label: 'Failed runs', cell: (o) => o.runs },
  { label: 'Error', cell: (o) => [o.error, o.message].filter(Boolean).join(' — ') },
];

export function CheckPage({ id }) {
  const { nodes } = useLive();
  const operator = useCan();
  const [check, setCheck] = useState(null);
  const [kind, setKind] = useState(null);
  const [summary, setSummary] = useState(null);
  const [error, setError] = useState('');
  const [run, setRun] = useState(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let live = true;
    Promise.all([get(`/api/v1/checks/${id}`), checkKinds()]).then(
      ([r, kinds]) => {
        if (!live) return;
        setCheck(r.data);
        setKind(kinds.find((k) => k.kind === r.data.kind));
        document.title = `${r.data.name} · Telltale`;
      },
      (err) => live && setError(err.message),
    );
    get(`/api/v1/availability/checks${qs({ id, slots: 100 })}`).then(
      (r) => live && setSummary(r.data[id] || null),
      () => {},
    );
    return () => {
      live = false;
    };
  }, [id, tick]);
  // Its state changes come as events; the figures follow every 15 s.
  useEvents((e) => e.topic === 'checks' && +e.subject === id && setTick((n) => n + 1), [id]);
  useEffect(() => {
    const t = setInterval(() => setTick((n) => n + 1), 15e3);
    return () => clearInterval(t);
  }, []);
  const outages = useResourceList(`/api/v1/checks/${id}/outages`, { noun: 'outages', all: true, pollMs: 60e3 });
  const events = useResourceList('/api/v1/events', {
    noun: 'events',
    params: { order: 'desc', topic: 'checks', subject: id, limit: 50 },
    pageParams: (n, _items, paging) => ({ before: n > 1 ? paging?.next_cursor : undefined }),
    onEvent: (e, l) => e.topic === 'checks' && +e.subject === id && l.setItems((x) => x && [e, ...x]),
  });

  if (error) return <EditorError title="Check not found" error={error} back="/checks" backLabel="All checks" />;
  if (!check) return <p class="loading">Loading…</p>;
  const c = check;
  const last = c.last_result;
  const runNow = async () => {
    setRun({ busy: true });
    try {
      setRun({ result: (await post(`/api/v1/checks/${id}/run`)).data });
      setTick((n) => n + 1);
    } catch (err) {
      setRun({ error: err.message });
    }
  };
  const setEnabled = async (enabled) => {
    try {
      await patch(`/api/v1/checks/${id}`, { enabled });
      setTick((n) => n + 1);
    } catch (err) {
      setRun({ error: err.message });
    }
  };
  const node = c.node_id ? nodes.get(c.node_id) : null;
  return (
    <section aria-labelledby="check-title" class="check-page">
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href="/checks">Checks</a>
        {node && (
          <>
            {' › '}
            <a href={`/nodes/${node.id}`}>{node.name}</a>
          </>
        )}
      </nav>
      <div class="head">
        <h1 id="check-title">{c.name}</h1>
        <Badge status={c.state} />
        {c.flapping && <span class="chip">flapping</span>}
        <span class="muted">
          {kind?.title || c.kind} · <code>{c.target}</code> · every {c.interval}
        </span>
      </div>
      <div class="actions left">
        {operator && (
          <button type="button" onClick={runNow} disabled={run?.busy}>
            Run now
          </button>
        )}
        {operator && (
          <button type="button" onClick={() => setEnabled(!c.enabled)}>
            {c.enabled ? 'Pause' : 'Resume'}
          </button>
        )}
        <a class="button" href={`/checks/${id}/edit`}>
          {operator ? 'Edit' : 'Definition'}
        </a>
      </div>
      {run?.result && (
        <p role="status" class="run-result">
          Ran now: {run.result.up ? 'up' : 'down'}, {ms(run.result.latency_ms)}
          {run.result.error ? ` — ${run.result.error}` : ''}
        </p>
      )}
      {run?.error && (
        <p class="error" role="alert">
          {run.error}
        </p>
      )}
      <p>
        {last ? (
          <>
            Last run <Time at={last.at} />: {last.up ? 'OK' : last.error || 'failed'}, {ms(last.latency_ms)}
            {last.message ? ` — ${last.message}` : ''}
          </>
        ) : (
          <span class="muted">No run yet</span>
        )}
        . In this state since <Time at={c.since} never="–" />.
      </p>
      <div class="beats-wide" aria-label="Recent runs">
        <Heartbeat beats={summary?.heartbeat} slotMs={summary?.slot_ms} />
      </div>
      <Figures summary={summary} check={c} />
      <ResponseChart check={c} kind={kind} />
      <section aria-labelledby="outages-title">
        <h2 id="outages-title">Outages in the last 30 days</h2>
        <ResourceTable list={outages} columns={outageColumns} empty="None." />
      </section>
      <section aria-labelledby="events-title">
        <h2 id="events-title">Events</h2>
        <ListView list={events} empty="No events yet." more="Older events">
          {(items) => <EventList events={items} empty="No events yet." />}
        </ListView>
      </section>
    </section>
  );
}
