// The host an agent reports from, on its node's page: live figures (CPU, memory, disk, load,
// temperature, uptime), charts of the node_exporter series the agent pushes, and its containers.
// Every figure is a PromQL query of the node's series, so what is shown here is what Grafana's
// node_exporter dashboards show from the same data.
import { useEffect, useState } from 'preact/hooks';
import { get, qs } from '../api.js';
import { useReconnects } from '../live.js';
import { bitRate } from '../components/chart.jsx';
import { quote } from '../ui.jsx';
import { PromChart, RangeButtons, useFresh } from './node.jsx';

// A node is an agent's host when its agent says which version it is.
export const isAgentHost = (node) => !!node.metadata?.agent_version;

const sel = (node, metric, extra = '') => `${metric}{node=${quote(node.name)}${extra ? ',' + extra : ''}}`;
// A rate's window: at least a minute (six 10 s collections) and two steps.
const win = (step) => `${Math.max(60, Math.ceil((2 * step) / 1000))}s`;
const REAL_FS = 'fstype!~"tmpfs|devtmpfs|overlay|squashfs|ramfs"';

export function bytes(v) {
  if (v == null || Number.isNaN(v)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${+v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[i]}`;
}

const percent = (v) => (v == null ? '–' : `${+v.toFixed(v < 10 ? 1 : 0)}%`);

export function duration(s) {
  if (s == null) return '–';
  const d = Math.floor(s / 86400),
    h = Math.floor((s % 86400) / 3600),
    m = Math.floor((s % 3600) / 60);
  return d ? `${d} d ${h} h` : h ? `${h} h ${m} min` : `${m} min`;
}

// The share of CPU time not idle over a window, of all CPUs: as a ratio of counters, so it
// holds whatever the kernel's tick rate and however many CPUs there are.
const busy = (node, window) =>
  `100 * (1 - sum(rate(${sel(node, 'node_cpu_seconds_total', 'mode="idle"')}[${window}])) / ` +
  `sum(rate(${sel(node, 'node_cpu_seconds_total')}[${window}])))`;

// A host's facts (its agent's metadata) for people: sizes and times, not raw numbers.
export function formatFact(key, value) {
  if (key === 'memory_bytes') return bytes(value);
  if (key === 'boot_time') return new Date(value * 1000).toLocaleString();
  if (Array.isArray(value)) return value.join(', ');
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

// The charts of a host: title, queries, the lines' names and how values are written.
export function hostCharts(node) {
  const cpu = (step) => [{ query: busy(node, win(step)), labels: { line: 'busy' } }];
  return [
    { title: 'CPU', queries: cpu, names: () => 'busy', format: percent },
    {
      title: 'Memory',
      queries: () => [
        {
          query: `${sel(node, 'node_memory_MemTotal_bytes')} - ${sel(node, 'node_memory_MemAvailable_bytes')}`,
          labels: { line: 'used' },
        },
        { query: sel(node, 'node_memory_MemTotal_bytes'), labels: { line: 'total' } },
      ],
      names: (s) => s.labels.line,
      format: bytes,
    },
    {
      title: 'Disk used',
      queries: () => [
        {
          query: `100 * (1 - ${sel(node, 'node_filesystem_avail_bytes', REAL_FS)} / ${sel(node, 'node_filesystem_size_bytes', REAL_FS)})`,
          labels: {},
        },
      ],
      names: (s) => s.labels.mountpoint,
      format: percent,
    },
    {
      title: 'Network',
      queries: (step) =>
        ['receive', 'transmit'].map((dir) => ({
          query: `sum by (device) (rate(${sel(node, `node_network_${dir}_bytes_total`, 'device!="lo"')}[${win(step)}])) * 8`,
          labels: { dir },
        })),
      names: (s) => `${s.labels.device} ${s.labels.dir === 'receive' ? 'in' : 'out'}`,
      format: bitRate,
    },
    {
      title: 'Temperature',
      queries: () => [
        { query: sel(node, 'node_hwmon_temp_celsius'), labels: {} },
        { query: sel(node, 'node_thermal_zone_temp'), labels: {} },
      ],
      names: (s) =>
        s.labels.chip ? `${s.labels.chip} ${s.labels.sensor}` : `${s.labels.type ?? 'zone ' + s.labels.zone}`,
      unit: ' °C',
    },
  ];
}

// The figures at the top: one instant query each.
function tiles(node) {
  return [
    ['CPU', busy(node, '1m'), percent],
    ['Load (1 min)', sel(node, 'node_load1'), (v) => (v == null ? '–' : v.toFixed(2))],
    [
      'Memory used',
      `100 * (1 - ${sel(node, 'node_memory_MemAvailable_bytes')} / ${sel(node, 'node_memory_MemTotal_bytes')})`,
      percent,
    ],
    [
      'Root disk used',
      `100 * (1 - ${sel(node, 'node_filesystem_avail_bytes', 'mountpoint="/"')} / ${sel(node, 'node_filesystem_size_bytes', 'mountpoint="/"')})`,
      percent,
    ],
    [
      'Temperature',
      `max(${sel(node, 'node_thermal_zone_temp')} or ${sel(node, 'node_hwmon_temp_celsius')})`,
      (v) => (v == null ? '–' : `${v.toFixed(1)} °C`),
    ],
    ['Up for', `${sel(node, 'node_time_seconds')} - ${sel(node, 'node_boot_time_seconds')}`, duration],
  ];
}

const finite = (text) => (Number.isFinite(Number(text)) && text != null ? Number(text) : null);
const instant = (query) => get('/prometheus/api/v1/query' + qs({ query })).then((r) => r.data.result);

function Tiles({ node, fresh }) {
  const list = tiles(node);
  const [values, setValues] = useState({});
  useEffect(() => {
    let live = true;
    for (const [label, query] of list)
      instant(query).then(
        // No figure (null, shown as "–") also when it is not a number: a rate over unchanged counters.
        (r) => live && setValues((v) => ({ ...v, [label]: finite(r[0]?.value[1]) })),
        () => {},
      );
    return () => {
      live = false;
    };
  }, [node.name, fresh]);
  return (
    <dl class="tiles" id="host-tiles">
      {list.map(([label, , format]) => (
        <div class="tile" data-tile={label}>
          <dt>{label}</dt>
          <dd>{format(values[label])}</dd>
        </div>
      ))}
    </dl>
  );
}

// The host's containers, as the agent last saw them: state, CPU and memory.
function Containers({ node, fresh }) {
  const [rows, setRows] = useState(null);
  useEffect(() => {
    let live = true;
    Promise.all([
      instant(sel(node, 'container_state')),
      instant(`rate(${sel(node, 'container_cpu_usage_seconds_total')}[1m])`),
      instant(sel(node, 'container_memory_usage_bytes')),
    ]).then(
      ([states, cpu, mem]) => {
        if (!live) return;
        const by = new Map();
        for (const s of states)
          if (Number(s.value[1]) === 1)
            by.set(s.metric.name, { name: s.metric.name, image: s.metric.image, state: s.metric.state });
        for (const c of cpu) if (by.has(c.metric.name)) by.get(c.metric.name).cpu = Number(c.value[1]);
        for (const m of mem) if (by.has(m.metric.name)) by.get(m.metric.name).mem = Number(m.value[1]);
        setRows([...by.values()].sort((a, b) => a.name.localeCompare(b.name)));
      },
      () => live && setRows([]),
    );
    return () => {
      live = false;
    };
  }, [node.name, fresh]);
  if (!rows?.length) return null;
  return (
    <section aria-labelledby="containers-title">
      <h3 id="containers-title">Containers</h3>
      <div class="preview-box">
        <table class="containers">
          <thead>
            <tr>
              <th>Container</th>
              <th>Image</th>
              <th>State</th>
              <th>CPU</th>
              <th>Memory</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((c) => (
              <tr data-container={c.name}>
                <td>{c.name}</td>
                <td>
                  <code>{c.image}</code>
                </td>
                <td>{c.state}</td>
                <td>{c.cpu == null ? '–' : percent(100 * c.cpu)}</td>
                <td>{bytes(c.mem)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function HostSection({ node }) {
  const [span, setSpan] = useState(3600e3);
  const reconnects = useReconnects();
  const watched = sel(node, 'node_load1');
  const fresh = useFresh(watched, 1500);
  const theme = document.documentElement.dataset.theme;
  return (
    <section aria-labelledby="host-title" class="host">
      <div class="head">
        <h2 id="host-title">Host</h2>
        <span class="muted small">
          {[node.metadata.os, node.metadata.kernel, node.metadata.arch].filter(Boolean).join(' · ')}
        </span>
        <span class="spacer" />
        <RangeButtons value={span} onChange={setSpan} label="Host time range" />
      </div>
      <Tiles node={node} fresh={fresh} />
      <div class="charts">
        {hostCharts(node).map(({ title, ...chart }) => (
          <PromChart
            key={title}
            title={title}
            {...chart}
            watched={watched}
            span={span}
            tick={0}
            reconnects={reconnects}
            theme={theme}
            minStep={10e3}
          />
        ))}
      </div>
      <Containers node={node} fresh={fresh} />
    </section>
  );
}
