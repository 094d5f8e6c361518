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

export function Chart({ title, series, names, unit, scale = 1, range, theme, empty = 'No data in this range.' }) {
  const box = useRef(null);
  const plot = useRef(null);
  useEffect(() => {
    const el = box.current;
    if (!el || !series?.length) return;
    const css = getComputedStyle(el);
    const fg = css.color, grid = css.borderTopColor;
    const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } };
    const fmt = (v) => (v == null ? '–' : `${+v.toFixed(v < 10 ? 2 : 0)}${unit}`);
    const opts = {
      width: el.clientWidth || 300,
      height: 200,
      series: [{}, ...series.map((s, i) => ({ label: names(s), stroke: PALETTE[i % PALETTE.length], width: 1.5, spanGaps: false, value: (u, v) => fmt(v) }))],
      axes: [axis, { ...axis, size: 56, values: (u, vals) => vals.map(fmt) }],
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true, range: () => [range[0] / 1000, range[1] / 1000] }, y: { range: (u, lo, hi) => [0, Math.max(hi * 1.1, 1e-9)] } },
    };
    plot.current = new uPlot(opts, align(series, scale), el);
    const ro = new ResizeObserver(() => plot.current?.setSize({ width: el.clientWidth, height: 200 }));
    ro.observe(el);
    return () => { ro.disconnect(); plot.current?.destroy(); plot.current = null; };
  }, [series, theme]);
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      {series?.length ? <div ref={box} class="plot" role="img" aria-label={title} /> : <p class="muted">{series ? empty : 'Loading…'}</p>}
    </figure>
  );
}
