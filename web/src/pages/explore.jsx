// Explore: a PromQL query with completion of metric names, label names and values, its chart over
// a range and a table of its value now, each series pinnable to its node's page. The query and
// the range live in the address (/explore?q=…&range=6h), so a view can be linked to.
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, qs } from '../api.js';
import { navigate } from '../router.js';
import { useLive, nodesByName } from '../live.js';
import { CanWrite } from '../session.jsx';
import { useTitle, quote } from '../ui.jsx';
import { RANGES, RangeButtons } from './node.jsx';
import { ExprError } from './rules.jsx';
import { QueryChart, seriesName } from '../components/query_chart.jsx';
import { PinForm, pinTitle } from '../components/node_metrics.jsx';

// PromQL's functions and aggregations (src/query), offered with the metric names.
export const FUNCTIONS = [
  'abs',
  'absent',
  'absent_over_time',
  'avg',
  'avg_over_time',
  'bottomk',
  'ceil',
  'changes',
  'clamp',
  'clamp_max',
  'clamp_min',
  'count',
  'count_over_time',
  'delta',
  'exp',
  'floor',
  'group',
  'idelta',
  'increase',
  'irate',
  'last_over_time',
  'ln',
  'max',
  'max_over_time',
  'min',
  'min_over_time',
  'present_over_time',
  'quantile',
  'quantile_over_time',
  'rate',
  'resets',
  'round',
  'scalar',
  'sgn',
  'sqrt',
  'stddev',
  'stddev_over_time',
  'stdvar',
  'stdvar_over_time',
  'sum',
  'sum_over_time',
  'time',
  'topk',
  'vector',
];

const WORD = /[A-Za-z0-9_:]/;
const MATCH_OP = /([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*$/;
const GROUPING = /\b(by|without|on|ignoring|group_left|group_right)\s*$/;

// What may be completed at `pos` of `text`: {kind, prefix, start, end, metric?, label?}, where
// [start, end) is what a completion replaces, or null.
//   metric: a word outside braces (a metric or function name);
//   label:  a label name inside a selector's braces, after `{` or `,`, or in by (…) and the like;
//   value:  a label's value after `=`, `!=`, `=~` or `!~`, quoted or not yet.
// `metric` is the metric name in front of the braces, if any.
export function completionContext(text, pos) {
  let brace = -1; // the `{` the position is inside
  let str = null; // the string the position is inside: {quote, start}
  let bracket = false; // inside […]: a duration
  const parens = [];
  for (let i = 0; i < pos; i++) {
    const c = text[i];
    if (str) {
      if (c === '\\') i++;
      else if (c === str.quote) str = null;
    } else if (c === '"' || c === "'" || c === '`') str = { quote: c, start: i };
    else if (c === '{') brace = i;
    else if (c === '}') brace = -1;
    else if (c === '[') bracket = true;
    else if (c === ']') bracket = false;
    else if (c === '(') parens.push(i);
    else if (c === ')') parens.pop();
  }
  let start = pos,
    end = pos;
  while (start > 0 && WORD.test(text[start - 1])) start--;
  while (end < text.length && WORD.test(text[end])) end++;
  const prefix = text.slice(start, pos);
  if (brace >= 0) {
    const metric = /([A-Za-z_:][A-Za-z0-9_:]*)\s*$/.exec(text.slice(0, brace))?.[1] || null;
    if (str) {
      const op = MATCH_OP.exec(text.slice(brace + 1, str.start));
      if (!op) return null;
      const close = text.indexOf(str.quote, pos);
      const stop = close < 0 ? pos : close + 1;
      return {
        kind: 'value',
        metric,
        label: op[1],
        prefix: text.slice(str.start + 1, pos),
        start: str.start,
        end: stop,
      };
    }
    const before = text.slice(brace + 1, start);
    const op = MATCH_OP.exec(before);
    if (op) return { kind: 'value', metric, label: op[1], prefix, start, end };
    if (/(^|,)\s*$/.test(before)) return { kind: 'label', metric, prefix, start, end };
    return null;
  }
  if (str || bracket) return null;
  const open = parens[parens.length - 1];
  if (open !== undefined && GROUPING.test(text.slice(0, open))) {
    return /[(,]\s*$/.test(text.slice(open, start)) ? { kind: 'label', metric: null, prefix, start, end } : null;
  }
  if (!prefix || /^[0-9]/.test(prefix)) return null;
  return { kind: 'metric', prefix, start, end };
}

// The candidates that fit `prefix` (in any case): those that start with it first, then those
// that hold it, each group in order; the prefix itself left out; at most `limit`.
export function filterCandidates(list, prefix, limit = 50) {
  const p = prefix.toLowerCase();
  const starts = [],
    holds = [];
  for (const x of list) {
    const v = x.value.toLowerCase();
    if (v === p) continue;
    if (v.startsWith(p)) starts.push(x);
    else if (v.includes(p)) holds.push(x);
  }
  return [...starts, ...holds].slice(0, limit);
}

// The text with `item` put in place of what `ctx` covers: {text, pos}, the caret after it. A
// function gets its "(", a label name its "=" (unless an operator follows), a value its quotes.
export function applyCompletion(text, ctx, item) {
  let insert = item.value;
  if (item.kind === 'function') insert += '(';
  else if (ctx.kind === 'label' && !/^\s*[=!]/.test(text.slice(ctx.end))) insert += '=';
  else if (ctx.kind === 'value') insert = quote(item.value);
  return { text: text.slice(0, ctx.start) + insert + text.slice(ctx.end), pos: ctx.start + insert.length };
}

// The candidates of a context, from the series API: metric names (with the functions); the
// label names or values of the metric's series when a metric precedes the braces, else of all.
// Answers are kept for the page's life (`cache`).
export async function candidates(ctx, cache) {
  const ask = (path) => (cache[path] ??= get('/prometheus/api/v1' + path).then((r) => r.data));
  if (ctx.kind === 'metric') {
    const names = await ask('/label/__name__/values');
    return [
      ...names.map((value) => ({ value, kind: 'metric' })),
      ...FUNCTIONS.map((value) => ({ value, kind: 'function' })),
    ];
  }
  let values;
  if (ctx.metric) {
    const series = await ask('/series' + qs({ 'match[]': ctx.metric }));
    const set = new Set();
    for (const s of series)
      if (ctx.kind === 'label') Object.keys(s).forEach((k) => k !== '__name__' && set.add(k));
      else if (s[ctx.label] !== undefined) set.add(s[ctx.label]);
    values = [...set].sort();
  } else {
    values = await ask(ctx.kind === 'label' ? '/labels' : `/label/${encodeURIComponent(ctx.label)}/values`);
    if (ctx.kind === 'label') values = values.filter((v) => v !== '__name__');
  }
  return values.map((value) => ({ value, kind: ctx.kind === 'label' ? 'label' : 'value' }));
}

// The query field: a combobox whose list offers the completions of the word at the caret.
// Arrows choose, Enter or Tab takes the chosen one (Tab the first when none is), Escape closes;
// Enter with nothing chosen runs the query; Ctrl+Space asks for the list.
export function QueryInput({ value, onInput, onRun }) {
  const input = useRef(null);
  const cache = useRef({}).current;
  const asked = useRef(0);
  const [list, setList] = useState({ options: [], active: -1, ctx: null });
  const caret = useRef(null);
  const open = list.options.length > 0;
  const close = () => setList({ options: [], active: -1, ctx: null });

  useEffect(() => {
    if (caret.current === null || !input.current) return;
    input.current.setSelectionRange(caret.current, caret.current);
    caret.current = null;
  });

  const suggest = async (text, pos) => {
    const n = ++asked.current;
    const ctx = completionContext(text, pos);
    if (!ctx) return close();
    try {
      const options = filterCandidates(await candidates(ctx, cache), ctx.prefix);
      if (n === asked.current) setList({ options, active: -1, ctx });
    } catch {
      if (n === asked.current) close();
    }
  };
  const accept = (i) => {
    const next = applyCompletion(value, list.ctx, list.options[i]);
    caret.current = next.pos;
    onInput(next.text);
    if (list.ctx.kind === 'label') suggest(next.text, next.pos);
    else {
      asked.current++;
      close();
    }
  };
  const onKeyDown = (e) => {
    if (e.key === ' ' && e.ctrlKey) {
      e.preventDefault();
      return suggest(value, e.currentTarget.selectionStart);
    }
    if (!open) {
      if (e.key === 'Enter') {
        e.preventDefault();
        onRun();
      }
      return;
    }
    const n = list.options.length;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const step = e.key === 'ArrowDown' ? 1 : -1;
      setList((l) => ({ ...l, active: (l.active + step + n + (l.active < 0 && step < 0 ? 1 : 0)) % n }));
    } else if (e.key === 'Enter' && list.active >= 0) {
      e.preventDefault();
      accept(list.active);
    } else if (e.key === 'Tab') {
      e.preventDefault();
      accept(Math.max(0, list.active));
    } else if (e.key === 'Escape') {
      e.preventDefault();
      asked.current++;
      close();
    } else if (e.key === 'Enter') {
      e.preventDefault();
      close();
      onRun();
    }
  };
  return (
    <div class="combo">
      <input
        ref={input}
        id="explore-q"
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={open ? 'true' : 'false'}
        aria-controls="explore-options"
        aria-activedescendant={list.active >= 0 ? `explore-option-${list.active}` : undefined}
        autocomplete="off"
        autocapitalize="off"
        spellcheck={false}
        placeholder='e.g. rate(http_requests_total{node="web-1"}[5m])'
        value={value}
        onInput={(e) => {
          onInput(e.currentTarget.value);
          suggest(e.currentTarget.value, e.currentTarget.selectionStart);
        }}
        onKeyDown={onKeyDown}
        onBlur={() => {
          asked.current++;
          close();
        }}
      />
      <ul id="explore-options" role="listbox" aria-label="Completions" hidden={!open}>
        {list.options.map((o, i) => (
          <li
            id={`explore-option-${i}`}
            role="option"
            aria-selected={i === list.active ? 'true' : 'false'}
            onMouseDown={(e) => {
              e.preventDefault(); // the field keeps the focus
              accept(i);
            }}
          >
            <span>{o.value}</span> <span class="muted small">{o.kind}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

// The nodes by name (several types may share one), in order.
function nodesNamed() {
  const out = new Map();
  for (const n of nodesByName()) out.set(n.name, [...(out.get(n.name) || []), n]);
  return out;
}

// The instant value of the query: a row per series (labels, value), each that names a node
// pinnable to it: a stored series (it has a metric name) as its own selector, the only row as
// the whole query.
function Result({ query, result }) {
  const [pinning, setPinning] = useState(null);
  useLive();
  if (result.resultType === 'scalar' || result.resultType === 'string')
    return (
      <p>
        {result.resultType === 'scalar' ? 'Scalar' : 'String'} <strong>{result.result[1]}</strong>
      </p>
    );
  const rows = result.result;
  if (!rows.length) return <p class="muted">No series now.</p>;
  const named = nodesNamed();
  const shown = rows.slice(0, 500);
  return (
    <>
      <p class="small">
        {rows.length} series{rows.length > shown.length ? `, the first ${shown.length} shown` : ''}.
      </p>
      <table class="explore-result">
        <thead>
          <tr>
            <th>Series</th>
            <th class="num">Value</th>
            <th>
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {shown.map((r, i) => {
            const name = seriesName(r.metric);
            const nodes = named.get(r.metric.node) || [];
            const pinnable = nodes.length > 0 && (rows.length === 1 || r.metric.__name__);
            return (
              <>
                <tr data-series={name}>
                  <td>
                    <code>{name}</code>
                  </td>
                  <td class="num">{r.value[1]}</td>
                  <td>
                    {pinnable && (
                      <CanWrite>
                        <button type="button" onClick={() => setPinning(pinning === i ? null : i)}>
                          Pin to {r.metric.node}
                        </button>
                      </CanWrite>
                    )}
                  </td>
                </tr>
                {pinning === i && (
                  <tr>
                    <td colSpan={3}>
                      <PinForm
                        nodes={nodes}
                        query={rows.length === 1 ? query : name}
                        title={rows.length === 1 ? query.slice(0, 100) : pinTitle(r.metric)}
                        onClose={() => setPinning(null)}
                      />
                    </td>
                  </tr>
                )}
              </>
            );
          })}
        </tbody>
      </table>
    </>
  );
}

const rangeName = (ms) => RANGES.find(([, x]) => x === ms)?.[0];

export function Explore({ query }) {
  useTitle('Explore');
  useLive();
  const q = query.get('q') || '';
  const span = RANGES.find(([name]) => name === query.get('range'))?.[1] ?? RANGES[0][1];
  const [text, setText] = useState(q);
  const [runs, setRuns] = useState(0);
  const [now, setNow] = useState(null); // {result} | {error} of the instant query
  const [pinAll, setPinAll] = useState(false);
  useEffect(() => setText(q), [q]);
  const show = (params) => navigate('/explore' + qs(params), { replace: true });
  const run = () => {
    show({ q: text.trim(), range: rangeName(span) });
    setRuns((n) => n + 1);
  };
  useEffect(() => {
    if (!q) return setNow(null);
    let live = true;
    setNow(null);
    get('/prometheus/api/v1/query' + qs({ query: q })).then(
      (r) => live && setNow({ result: r.data }),
      (err) => live && setNow({ error: err.message }),
    );
    return () => {
      live = false;
    };
  }, [q, runs]);
  const theme = document.documentElement.dataset.theme;
  const firstNode = now?.result?.result?.[0]?.metric?.node;
  const pinNodes = [...(nodesNamed().get(firstNode) || []), ...nodesByName().filter((n) => n.name !== firstNode)];
  return (
    <section aria-labelledby="explore-title" class="explore">
      <div class="head">
        <h1 id="explore-title" tabIndex={-1}>
          Explore
        </h1>
        <span class="spacer" />
        <RangeButtons value={span} onChange={(ms) => show({ q, range: rangeName(ms) })} />
      </div>
      <form
        class="explore-form"
        onSubmit={(e) => {
          e.preventDefault();
          run();
        }}
      >
        <label for="explore-q">PromQL query</label>
        <div class="explore-row">
          <QueryInput value={text} onInput={setText} onRun={run} />
          <button type="submit" class="primary">
            Run
          </button>
        </div>
      </form>
      {!q && (
        <p class="muted">
          Type a metric name to see what is stored: names, then labels inside <code>{'{…}'}</code> and their values are
          offered as you type.
        </p>
      )}
      {now?.error && <ExprError expr={q} message={now.error} />}
      {now?.result && (
        <>
          <div class="charts">
            <QueryChart title={q} query={q} span={span} fresh={runs} theme={theme} />
          </div>
          <div class="head">
            <h2>Now</h2>
            <span class="spacer" />
            <CanWrite>
              {pinNodes.length > 0 && now.result.resultType !== 'string' && (
                <button type="button" onClick={() => setPinAll(!pinAll)} aria-expanded={pinAll ? 'true' : 'false'}>
                  Pin the query…
                </button>
              )}
            </CanWrite>
          </div>
          {pinAll && <PinForm nodes={pinNodes} query={q} title={q.slice(0, 100)} onClose={() => setPinAll(false)} />}
          <Result key={q} query={q} result={now.result} />
        </>
      )}
    </section>
  );
}
