// A time-series chart (uPlot) of a /api/v1/query_range answer. Series are aligned on the union
// of their timestamps; gaps stay gaps. Colours come from the page's computed styles, so the
// chart follows the theme (it is redrawn when the theme changes).
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const PALETTE = ['#0ea5e9', '#f97316', '#22c55e', '#a855f7', '#e11d48', '#eab308', '#14b8a6', '#6366f1'];

// {series:[{labels,timestamps,values}]} -> uPlot's [xs, ys...] with x in seconds.
// range: [from_ms, to_ms], the x axis.
export function align(series, scale = 1) {
  const xs = [...new Set(series.flatMap((s) => s.timestamps))].sort((a, b) => a - b);
  const index = new Map(xs.map((t, i) => [t, i]));
  const ys = series.map((s) => {
    const col = new Array(xs.length).fill(null);
    s.timestamps.forEach((t, i) => {
      const v = typeof s.values[i] === 'number' ? s.values[i] * scale : null;
      col[index.get(t)] = v;
    });
    return col;
  });
  return [xs.map((t) => t / 1000), ...ys];
}

// Series with new samples appended (live), each to the series of the same metric and labels
// (a new one is added), points before from_ms dropped. Returns a new array; the inputs are
// left alone.
const seriesKey = (s) => s.metric + JSON.stringify(Object.entries(s.labels || {}).sort());
export function appendSamples(series, incoming, from_ms) {
  const out = new Map((series || []).map((s) => [seriesKey(s), s]));
  for (const s of incoming) {
    const key = seriesKey(s);
    const old = out.get(key) || { metric: s.metric, labels: s.labels, timestamps: [], values: [] };
    const last = old.timestamps[old.timestamps.length - 1] ?? -Infinity;
    const ts = old.timestamps.slice(),
      vs = old.values.slice();
    s.timestamps.forEach((t, i) => {
      if (t > last) {
        ts.push(t);
        vs.push(s.values[i]);
      }
    });
    let cut = 0;
    while (cut < ts.length && ts[cut] < from_ms) cut++;
    out.set(key, { ...old, timestamps: ts.slice(cut), values: vs.slice(cut) });
  }
  return [...out.values()];
}

// Bits per second with an SI prefix (interface traffic).
export function bitRate(v) {
  if (v == null) return '–';
  const [div, prefix] = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ].find(([d]) => Math.abs(v) >= d) || [1, ''];
  const x = v / div;
  return `${+x.toFixed(x < 10 ? 2 : x < 100 ? 1 : 0)} ${prefix}bit/s`;
}

// The decimals a tick spacing needs (0.25: 2, 5: 0), up to 6.
function decimalsOf(step) {
  for (let d = 0; d < 6; d++) if (Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) < 1e-6) return d;
  return 6;
}

// The y axis' tick labels: as precise as the ticks' spacing, so neighbours never read the same
// ("0.25 %", "0.5 %"), and never more (no "1.00 %").
export function tickLabels(vals, unit) {
  const steps = vals
    .slice(1)
    .map((v, i) => Math.abs(v - vals[i]))
    .filter((s) => s > 0);
  const d = steps.length ? decimalsOf(Math.min(...steps)) : 0;
  return vals.map((v) => (v == null ? '' : `${+v.toFixed(d)}${unit}`));
}

// The y scale: from 0 to a tenth above the highest value; a chart of nothing but zeros (or no
// values) gets 0 to 1, which uPlot splits into a few readable ticks instead of many of 1e-10.
export const yRange = (u, lo, hi) => [0, hi > 0 ? hi * 1.1 : 1];

// format, when given, writes a (scaled) value with its unit; else the value and `unit`.
export function Chart({
  title,
  series,
  names,
  unit,
  format,
  scale = 1,
  range,
  theme,
  empty = 'No data in this range.',
}) {
  const box = useRef(null);
  const plot = useRef(null);
  const shown = useRef({ range, count: 0 }); // what the plot draws: new samples update it in place
  shown.current.range = range;
  useEffect(() => {
    const el = box.current;
    if (!el || !series?.length) return;
    if (plot.current && shown.current.count === series.length) {
      plot.current.setData(align(series, scale));
      return;
    }
    plot.current?.destroy();
    const css = getComputedStyle(el);
    const fg = css.color,
      grid = css.borderTopColor;
    const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } };
    const fmt = format || ((v) => (v == null ? '–' : `${+v.toFixed(v < 10 ? 2 : 0)}${unit}`));
    const opts = {
      width: el.clientWidth || 300,
      height: 200,
      series: [
        {},
        ...series.map((s, i) => ({
          label: names(s),
          stroke: PALETTE[i % PALETTE.length],
          width: 1.5,
          spanGaps: false,
          value: (u, v) => fmt(v),
        })),
      ],
      // Wide enough for the longest tick label ("12.5 Mbit/s"), at about 7 px a character.
      axes: [
        axis,
        {
          ...axis,
          size: (u, vals) => Math.max(56, 16 + 7 * Math.max(0, ...(vals || []).map((v) => v.length))),
          values: (u, vals) => (format ? vals.map(format) : tickLabels(vals, unit)),
        },
      ],
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: true, range: () => shown.current.range.map((t) => t / 1000) },
        y: { range: yRange },
      },
    };
    plot.current = new uPlot(opts, align(series, scale), el);
    shown.current.count = series.length;
  }, [series, theme]);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => plot.current?.setSize({ width: el.clientWidth, height: 200 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [!series?.length, theme]);
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      {series?.length ? (
        <div ref={box} class="plot" role="img" aria-label={title} />
      ) : (
        <p class="muted">{series ? empty : 'Loading…'}</p>
      )}
    </figure>
  );
}
