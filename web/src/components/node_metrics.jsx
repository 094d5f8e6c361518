// A node's metrics beyond its checks' charts: the queries pinned to its page (from Explore), each
// a chart with "Unpin", and the node's other series, those with its `node` label that no check
// (no `check` label) and no agent collector (`job="node"`, which the host section draws) writes,
// such as samples an IoT device pushes: each drawn with one click, and pinnable.
import { useEffect, useState } from 'preact/hooks';
import { get, post, del, qs } from '../api.js';
import { useEvents } from '../live.js';
import { CanWrite } from '../session.jsx';
import { useForm, Field, FormAlert, quote } from '../ui.jsx';
import { RangeButtons, useFresh } from '../pages/node.jsx';
import { QueryChart, seriesName } from './query_chart.jsx';
import { nodeType } from '../fields.js';

// The selector of a node's series that neither its checks nor its agent's collectors write.
export const otherSeriesSelector = (nodeName) => `{node=${quote(nodeName)},check="",job!="node"}`;

// At most this many of a node's other series are listed; Explore finds the rest.
export const MAX_LISTED = 200;

// A pinned series' default title: its name and the labels that tell it from the node's others.
export function pinTitle(metric) {
  const { node: _node, ...rest } = metric || {};
  return seriesName(rest).slice(0, 100);
}

// Pins `query` under a title to one of `nodes` (a choice when there are several).
export function PinForm({ nodes, query, title, onClose }) {
  const form = useForm({ title, node: String(nodes[0]?.id ?? '') });
  const [pinned, setPinned] = useState(null);
  if (pinned)
    return (
      <p class="pin-form" role="status">
        Pinned to <a href={`/nodes/${pinned.id}`}>{pinned.name}</a>.{' '}
        <button type="button" onClick={onClose}>
          Close
        </button>
      </p>
    );
  const save = (e) =>
    form.submit(e, async (v) => {
      const node = nodes.find((n) => n.id === +v.node);
      await post(`/api/v1/nodes/${node.id}/pins`, { title: v.title.trim(), query });
      setPinned(node);
    });
  return (
    <form class="pin-form" onSubmit={save} aria-label="Pin to a node">
      <Field form={form} name="title" label="Title of the chart">
        <input {...form.bind('title')} maxLength={100} required />
      </Field>
      {nodes.length > 1 ? (
        <Field form={form} name="node" label="Node">
          <select {...form.bind('node')}>
            {nodes.map((n) => (
              <option value={n.id}>
                {n.name} ({nodeType(n.type)})
              </option>
            ))}
          </select>
        </Field>
      ) : (
        <p>
          On the page of <strong>{nodes[0]?.name}</strong>
        </p>
      )}
      <FormAlert form={form} />
      <div class="actions left">
        <button type="submit" class="primary" disabled={form.busy}>
          Pin
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}

// A count that grows every minute: charts of what is not pushed (a check's samples) follow too.
function useMinutes() {
  const [n, setN] = useState(0);
  useEffect(() => {
    const t = setInterval(() => setN((x) => x + 1), 60e3);
    return () => clearInterval(t);
  }, []);
  return n;
}

export function NodeMetrics({ node }) {
  const [span, setSpan] = useState(3600e3);
  const [pins, setPins] = useState(null);
  const [series, setSeries] = useState(null);
  const [error, setError] = useState('');
  const [drawn, setDrawn] = useState([]); // selectors of the listed series drawn
  const [pinning, setPinning] = useState(null); // the selector whose pin form is open
  const [changed, setChanged] = useState(0);
  const selector = otherSeriesSelector(node.name);
  // Read again a couple of seconds after new samples arrive (the store has them by then).
  const fresh = `${useFresh(selector, 2000)}:${useMinutes()}`;
  useEvents((e) => e.topic === 'nodes' && e.data?.pin?.node_id === node.id && setChanged((n) => n + 1), [node.id]);
  useEffect(() => {
    get(`/api/v1/nodes/${node.id}/pins`).then(
      (r) => setPins(r.data),
      (err) => setError(`Could not load the pinned queries: ${err.message}`),
    );
  }, [node.id, changed]);
  useEffect(() => {
    get('/prometheus/api/v1/series' + qs({ 'match[]': selector })).then(
      (r) =>
        setSeries(
          r.data
            .map((metric) => ({ metric, selector: seriesName(metric) }))
            .sort((a, b) => (a.selector < b.selector ? -1 : 1)),
        ),
      (err) => setError(`Could not load the node's series: ${err.message}`),
    );
  }, [selector, fresh]);
  const unpin = async (p) => {
    try {
      await del(`/api/v1/nodes/${node.id}/pins/${p.id}`);
      setPins((list) => list.filter((x) => x.id !== p.id));
    } catch (err) {
      setError(`Could not unpin ${p.title}: ${err.message}`);
    }
  };
  const toggle = (s) => setDrawn((d) => (d.includes(s) ? d.filter((x) => x !== s) : [...d, s]));
  const theme = document.documentElement.dataset.theme;
  return (
    <section aria-labelledby="metrics-title" class="node-metrics">
      <div class="head">
        <h2 id="metrics-title">Metrics</h2>
        <RangeButtons value={span} onChange={setSpan} />
      </div>
      <p class="muted small">
        Queries pinned from <a href={'/explore' + qs({ q: `{node=${quote(node.name)}}` })}>Explore</a>, and the node's
        series that no check or agent writes, such as pushed samples.
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {pins?.length > 0 && (
        <div class="charts">
          {pins.map((p) => (
            <div class="pinned" data-pin={p.title}>
              <QueryChart title={p.title} query={p.query} span={span} fresh={fresh} theme={theme} />
              <p class="small">
                <code>{p.query}</code>{' '}
                <CanWrite>
                  <button type="button" onClick={() => unpin(p)} aria-label={`Unpin ${p.title}`}>
                    Unpin
                  </button>
                </CanWrite>
              </p>
            </div>
          ))}
        </div>
      )}
      <h3>Other series</h3>
      {series === null ? (
        <p class="muted">Loading…</p>
      ) : series.length === 0 ? (
        <p class="muted">
          None yet: samples pushed with the label <code>node={quote(node.name)}</code> are listed here.
        </p>
      ) : (
        <ul class="series-list">
          {series.slice(0, MAX_LISTED).map(({ metric, selector: s }) => (
            <li data-series={s}>
              <div class="series-row">
                <code>{s}</code>
                <span class="spacer" />
                <button type="button" aria-pressed={drawn.includes(s) ? 'true' : 'false'} onClick={() => toggle(s)}>
                  Draw
                </button>
                <CanWrite>
                  <button type="button" onClick={() => setPinning(pinning === s ? null : s)}>
                    Pin
                  </button>
                </CanWrite>
              </div>
              {pinning === s && (
                <PinForm nodes={[node]} query={s} title={pinTitle(metric)} onClose={() => setPinning(null)} />
              )}
              {drawn.includes(s) && <QueryChart title={s} query={s} span={span} fresh={fresh} theme={theme} />}
            </li>
          ))}
        </ul>
      )}
      {series?.length > MAX_LISTED && <p class="muted small">{series.length - MAX_LISTED} more: Explore finds them.</p>}
    </section>
  );
}
