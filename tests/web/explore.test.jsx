// Explore: what the query field completes where (metric names at a word, label names inside
// braces and grouping, values after a matcher's operator), the combobox driven by keys, the
// page's chart, table and errors; a node's metrics: pinned charts with "Unpin", the node's other
// series drawn and pinned.
import { describe, it, beforeAll, afterAll, beforeEach } from 'vitest';
import assert from 'node:assert/strict';
import { render } from 'preact';
import { useState } from 'preact/hooks';
import { act } from 'preact/test-utils';
import { route, calls, until, startLive } from './fake_server.js';
import { start, stop } from '../../web/src/live.js';
import {
  completionContext,
  filterCandidates,
  applyCompletion,
  QueryInput,
  Explore,
} from '../../web/src/pages/explore.jsx';
import { NodeMetrics, otherSeriesSelector, pinTitle } from '../../web/src/components/node_metrics.jsx';
import { seriesName } from '../../web/src/components/query_chart.jsx';

// The context at the caret, marked `|` in the text.
const at = (marked) => completionContext(marked.replace('|', ''), marked.indexOf('|'));

describe('completion context', () => {
  it('completes a metric or function name at a word outside braces', () => {
    assert.deepEqual(at('iot_te|'), { kind: 'metric', prefix: 'iot_te', start: 0, end: 6 });
    assert.deepEqual(at('rate(iot_|temp[5m])'), { kind: 'metric', prefix: 'iot_', start: 5, end: 13 });
    assert.equal(at('up + 1|'), null, 'a number');
    assert.equal(at('rate(x[5|m])'), null, 'a duration');
    assert.equal(at('up |'), null, 'nothing typed');
  });
  it('completes label names after { or , and in by (…)', () => {
    assert.deepEqual(at('iot_temp{|'), { kind: 'label', metric: 'iot_temp', prefix: '', start: 9, end: 9 });
    assert.deepEqual(at('iot_temp{node="a", ro|}'), {
      kind: 'label',
      metric: 'iot_temp',
      prefix: 'ro',
      start: 19,
      end: 21,
    });
    assert.deepEqual(at('{no|'), { kind: 'label', metric: null, prefix: 'no', start: 1, end: 3 });
    assert.deepEqual(at('sum by (no|) (x)'), { kind: 'label', metric: null, prefix: 'no', start: 8, end: 10 });
    assert.deepEqual(at('sum without (a, |) (x)').kind, 'label');
    assert.equal(at('sum(x|)').kind, 'metric', 'a plain call holds expressions, not labels');
  });
  it('completes values after an operator, quoted or not yet', () => {
    assert.deepEqual(at('x{node=|'), { kind: 'value', metric: 'x', label: 'node', prefix: '', start: 7, end: 7 });
    assert.deepEqual(at('x{node="se|'), {
      kind: 'value',
      metric: 'x',
      label: 'node',
      prefix: 'se',
      start: 7,
      end: 10,
    });
    // A closing quote is part of what is replaced.
    assert.deepEqual(at('x{node=~"se|n"}'), {
      kind: 'value',
      metric: 'x',
      label: 'node',
      prefix: 'se',
      start: 8,
      end: 13,
    });
    assert.equal(at('x{node!="a\\"b|"}').prefix, 'a\\"b', 'escaped quotes stay inside');
    assert.equal(at('x{node="a"|}'), null, 'after the value');
    assert.equal(at('x{node="a"}|'), null);
  });
});

describe('candidates and their insertion', () => {
  const items = ['iot_temperature', 'iot_humidity', 'node_iot_x', 'up'].map((value) => ({ value, kind: 'metric' }));
  it('puts names that start with the prefix first, in any case, without the prefix itself', () => {
    assert.deepEqual(
      filterCandidates(items, 'IOT').map((x) => x.value),
      ['iot_temperature', 'iot_humidity', 'node_iot_x'],
    );
    assert.deepEqual(filterCandidates(items, 'up'), []);
    assert.equal(filterCandidates(items, '', 2).length, 2);
  });
  it('inserts names, a function with its parenthesis, labels with =, values quoted', () => {
    const m = at('iot_te|');
    assert.deepEqual(applyCompletion('iot_te', m, { value: 'iot_temperature', kind: 'metric' }), {
      text: 'iot_temperature',
      pos: 15,
    });
    assert.deepEqual(applyCompletion('ra', at('ra|'), { value: 'rate', kind: 'function' }), { text: 'rate(', pos: 5 });
    assert.deepEqual(applyCompletion('x{no', at('x{no|'), { value: 'node', kind: 'label' }), {
      text: 'x{node=',
      pos: 7,
    });
    assert.equal(applyCompletion('x{no="a"}', at('x{no|="a"}'), { value: 'node', kind: 'label' }).text, 'x{node="a"}');
    assert.deepEqual(applyCompletion('x{node="se"}', at('x{node="se|"}'), { value: 's"1', kind: 'value' }), {
      text: 'x{node="s\\"1"}',
      pos: 13,
    });
  });
  it('names a series as PromQL writes it', () => {
    assert.equal(seriesName({ __name__: 'iot_temp', node: 's1' }), 'iot_temp{node="s1"}');
    assert.equal(seriesName({ __name__: 'up' }), 'up');
    assert.equal(seriesName({}), 'value');
    assert.equal(pinTitle({ __name__: 'iot_temp', node: 's1', room: 'a' }), 'iot_temp{room="a"}');
    assert.equal(otherSeriesSelector('s"1'), '{node="s\\"1",check="",job!="node"}');
  });
});

const matrix = (metric) => ({
  resultType: 'matrix',
  result: [
    {
      metric,
      values: [
        [Date.now() / 1000 - 60, '21.5'],
        [Date.now() / 1000, '22'],
      ],
    },
  ],
});
const prom = (data) => ({ status: 200, json: { status: 'success', data } });
const sensor = { id: 7, name: 'sensor-1', type: 'iot', status: 'unknown', labels: {} };
let root;

beforeAll(async () => {
  route('GET', '/prometheus/api/v1/label/__name__/values', prom(['iot_humidity', 'iot_temperature', 'up']));
  route('GET', '/prometheus/api/v1/series', (req) =>
    prom(
      req.query.get('match[]') === 'iot_temperature'
        ? [
            { __name__: 'iot_temperature', node: 'sensor-1', room: 'lab' },
            { __name__: 'iot_temperature', node: 'sensor-2', room: 'hall' },
          ]
        : [{ __name__: 'iot_humidity', node: 'sensor-1' }],
    ),
  );
  route('GET', '/prometheus/api/v1/query_range', (req) =>
    prom(matrix({ __name__: req.query.get('query').split('{')[0], node: 'sensor-1' })),
  );
  root = await startLive(start, { events: [], nodes: [sensor] });
});
afterAll(() => {
  render(null, root);
  stop();
});
beforeEach(() => render(null, root));

// Types `text` into the field, the caret at its end, as a browser would tell the page.
async function type(input, text) {
  input.value = text;
  input.setSelectionRange(text.length, text.length);
  await act(() => input.dispatchEvent(new Event('input', { bubbles: true })));
}
const key = (input, k) => act(() => input.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true })));
const options = () => [...root.querySelectorAll('[role=option]')].map((o) => o.firstChild.textContent);

describe('the query field', () => {
  it('offers metric names, then the metric’s labels and values, by keyboard', async () => {
    let value = '';
    let ran = 0;
    function Harness() {
      const [v, setV] = useState('');
      value = v;
      return <QueryInput value={v} onInput={setV} onRun={() => ran++} />;
    }
    await act(() => render(<Harness />, root));
    const input = root.querySelector('input[role=combobox]');
    assert.equal(input.getAttribute('aria-expanded'), 'false');

    await type(input, 'iot_t');
    await until(() => options().length === 1, 'the metric');
    assert.deepEqual(options(), ['iot_temperature']);
    assert.equal(input.getAttribute('aria-expanded'), 'true');
    assert.equal(input.getAttribute('aria-controls'), root.querySelector('[role=listbox]').id);
    await key(input, 'ArrowDown');
    assert.equal(input.getAttribute('aria-activedescendant'), 'explore-option-0');
    assert.equal(root.querySelector('[role=option]').getAttribute('aria-selected'), 'true');
    await key(input, 'Enter');
    assert.equal(value, 'iot_temperature');
    assert.equal(ran, 0, 'Enter took the option, it did not run the query');

    // Inside the braces: the metric's label names, then the values of the one taken.
    await type(input, 'iot_temperature{');
    await until(() => options().length === 2, 'the labels');
    assert.deepEqual(options(), ['node', 'room']);
    await key(input, 'Tab');
    assert.equal(value, 'iot_temperature{node=');
    await until(() => options().includes('sensor-2'), 'the values');
    assert.deepEqual(options(), ['sensor-1', 'sensor-2']);
    await key(input, 'ArrowUp');
    await key(input, 'Enter');
    assert.equal(value, 'iot_temperature{node="sensor-2"');
    assert.equal(input.getAttribute('aria-expanded'), 'false');

    await type(input, 'iot_temperature{node="sensor-2"}');
    await key(input, 'Enter');
    assert.equal(ran, 1, 'Enter with no list runs the query');
    await type(input, 'iot_');
    await until(() => options().length === 2, 'the metrics');
    await key(input, 'Escape');
    assert.equal(input.getAttribute('aria-expanded'), 'false');
  });
});

describe('the explore page', () => {
  it('draws the query, tables its value now and pins a series to its node', async () => {
    route('GET', '/prometheus/api/v1/query?', () =>
      prom({
        resultType: 'vector',
        result: [
          { metric: { __name__: 'iot_temperature', node: 'sensor-1', room: 'lab' }, value: [Date.now() / 1000, '22'] },
          { metric: { __name__: 'iot_temperature', node: 'sensor-9' }, value: [Date.now() / 1000, '19'] },
        ],
      }),
    );
    let posted = null;
    route('POST', '/api/v1/nodes/7/pins', (req) => {
      posted = req.body;
      return { status: 201, json: { success: true, data: { id: 1, node_id: 7, ...req.body } } };
    });
    await act(() => render(<Explore query={new URLSearchParams('q=iot_temperature&range=6h')} />, root));
    await until(() => root.querySelectorAll('.explore-result tbody tr').length === 2, 'the rows');
    await until(() => calls.some((c) => c.path === '/prometheus/api/v1/query_range'), 'the range');
    const rangeAsk = calls.filter((c) => c.path === '/prometheus/api/v1/query_range').pop();
    assert.equal(rangeAsk.query.get('query'), 'iot_temperature');
    assert.equal(+rangeAsk.query.get('end') - +rangeAsk.query.get('start'), 6 * 3600);
    await until(() => root.querySelector('.chart .plot'), 'the chart');
    assert.equal(root.querySelector('[aria-pressed=true]').textContent, '6h');
    assert.equal(root.querySelector('#explore-q').value, 'iot_temperature');

    // Only the row whose node exists can be pinned, as its own series.
    const rows = root.querySelectorAll('.explore-result tbody tr');
    assert.equal(rows[1].querySelector('button'), null, 'sensor-9 is no node');
    await act(() => rows[0].querySelector('button').click());
    const form = root.querySelector('.pin-form');
    assert.equal(form.querySelector('input').value, 'iot_temperature{room="lab"}');
    await act(() => form.querySelector('button[type=submit]').click());
    await until(() => root.querySelector('.pin-form[role=status]'), 'pinned');
    assert.deepEqual(posted, {
      title: 'iot_temperature{room="lab"}',
      query: 'iot_temperature{node="sensor-1", room="lab"}',
    });
    assert.equal(root.querySelector('.pin-form a').getAttribute('href'), '/nodes/7');
  });
  it('shows the engine’s error at its position instead of a chart', async () => {
    route('GET', '/prometheus/api/v1/query?', () => ({
      status: 400,
      json: { status: 'error', errorType: 'bad_data', error: 'at position 9: unexpected end of input' },
    }));
    await act(() => render(<Explore query={new URLSearchParams('q=iot_temp{')} />, root));
    await until(() => root.querySelector('.expr-error'), 'the error');
    assert.match(root.querySelector('.expr-error').textContent, /At position 9: unexpected end of input/);
    assert.equal(root.querySelector('.chart'), null);
  });
});

describe('a node’s metrics', () => {
  it('charts the pinned queries with unpin, lists the other series, draws and pins them', async () => {
    const pins = [{ id: 3, node_id: 7, title: 'Temperature', query: 'iot_temperature{node="sensor-1"}' }];
    route('GET', '/api/v1/nodes/7/pins', () => pins);
    let deleted = null,
      posted = null;
    route('DELETE', '/api/v1/nodes/7/pins/3', (req) => {
      deleted = req.path;
      return { status: 204, json: null };
    });
    route('POST', '/api/v1/nodes/7/pins', (req) => {
      posted = req.body;
      return { status: 201, json: { success: true, data: { id: 4, node_id: 7, ...req.body } } };
    });
    await act(() => render(<NodeMetrics node={sensor} />, root));
    await until(() => root.querySelector('[data-pin="Temperature"] .plot'), 'the pinned chart');
    await until(() => root.querySelector('.series-list li'), 'the other series');
    const asked = calls.filter((c) => c.path === '/prometheus/api/v1/series').pop();
    assert.equal(asked.query.get('match[]'), '{node="sensor-1",check="",job!="node"}');
    const li = [...root.querySelectorAll('.series-list li')].find(
      (x) => x.dataset.series === 'iot_humidity{node="sensor-1"}',
    );
    assert.ok(li, 'the pushed series is listed');

    const [draw, pin] = li.querySelectorAll('button');
    await act(() => draw.click());
    assert.equal(draw.getAttribute('aria-pressed'), 'true');
    await until(() => li.querySelector('.plot'), 'the drawn series');
    await act(() => pin.click());
    await act(() => li.querySelector('.pin-form button[type=submit]').click());
    await until(() => posted, 'the pin');
    assert.deepEqual(posted, { title: 'iot_humidity', query: 'iot_humidity{node="sensor-1"}' });

    await act(() => root.querySelector('button[aria-label="Unpin Temperature"]').click());
    await until(() => !root.querySelector('[data-pin="Temperature"]'), 'unpinned');
    assert.equal(deleted, '/api/v1/nodes/7/pins/3');
  });
});
