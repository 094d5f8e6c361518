// A chart of one PromQL query over the last `span` (/prometheus/api/v1/query_range), each line
// named by its labels. The query engine's error is shown as text, at its position when the API
// gives one, never as an empty chart. For the Explore page and the queries pinned to a node.
import { useEffect, useState } from 'preact/hooks';
import { get, qs } from '../api.js';
import { Chart } from './chart.jsx';
import { fromMatrix } from '../pages/node.jsx';
import { ExprError } from '../pages/rules.jsx';
import { labelSelector } from '../pages/alerts.jsx';

// A series as PromQL writes it: `name{label="value", …}`; a series without labels (a scalar's)
// is "value".
export function seriesName(metric) {
  const { __name__: name, ...labels } = metric || {};
  if (!Object.keys(labels).length) return name || 'value';
  return (name || '') + labelSelector(labels);
}

// The step of a range: about 240 points, at least 15 s (what the charts of the node page use).
export const rangeStep = (span) => Math.max(15e3, Math.round(span / 240));

// fresh: a count that reads the range again when it changes.
export function QueryChart({ title, query, span, fresh, theme }) {
  const [data, setData] = useState({ range: [0, 0] });
  useEffect(() => {
    let live = true;
    const to = Date.now(),
      from = to - span,
      step = rangeStep(span);
    get('/prometheus/api/v1/query_range' + qs({ query, start: from / 1000, end: to / 1000, step: step / 1000 })).then(
      (r) => live && setData({ range: [from, to], series: fromMatrix(r.data.result, title, {}) }),
      (err) => live && setData({ range: [from, to], error: err.message }),
    );
    return () => {
      live = false;
    };
  }, [query, span, fresh]);
  if (data.error)
    return (
      <figure class="chart">
        <figcaption>{title}</figcaption>
        <ExprError expr={query} message={data.error} />
      </figure>
    );
  return (
    <Chart
      key={query}
      title={title}
      unit=""
      series={data.series}
      names={(s) => seriesName(s.labels)}
      range={data.range}
      theme={theme}
    />
  );
}
