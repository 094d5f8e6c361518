// Alerts, silences and the rule editor against a fake server: filters, live alert events,
// acknowledgement, silence from an alert, the expression preview and its error position.
import { describe, it, beforeAll, afterAll, beforeEach } from 'vitest';
import assert from 'node:assert/strict';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { route, reset, calls, sockets, until } from './fake_server.js';
import { start, stop, firingAlerts } from '../../web/src/live.js';
import { Alerts, ActiveAlerts, applyAlert, labelSelector } from '../../web/src/pages/alerts.jsx';
import { Silences, silenceBody } from '../../web/src/pages/silences.jsx';
import { RuleEditor, exprPosition, ruleBody } from '../../web/src/pages/rules.jsx';
import { fromPairs } from '../../web/src/components/key_value.jsx';

const alert = (id, state, labels = {}, extra = {}) => ({
  id,
  rule_id: 1,
  rule_name: 'Down',
  severity: 'critical',
  state,
  labels: { alertname: 'Down', severity: 'critical', ...labels },
  annotations: { summary: `gw ${id} is down` },
  value: 1,
  active_at: new Date().toISOString(),
  fired_at: null,
  resolved_at: null,
  acked: false,
  ack: null,
  silenced: false,
  ...extra,
});
let root;
const text = () => root.textContent;
const input = (el, value) => {
  el.value = value;
  el.dispatchEvent(new Event('input', { bubbles: true }));
};

beforeAll(async () => {
  route('GET', '/api/v1/events', [{ id: 10 }]);
  route('GET', '/api/v1/nodes', []);
  route('GET', '/api/v1/alerts', (req) => (req.query.get('state') === 'firing' ? [alert(7, 'firing')] : []));
  start();
  await until(() => sockets.length === 1, 'the socket');
  await new Promise((r) => setTimeout(r, 5));
  await sockets[0].receive({ type: 'subscribed', topics: ['events'] });
});
afterAll(() => stop()); // its ping timer would keep the process alive
beforeEach(() => {
  document.body.innerHTML = '<div id="root"></div>';
  root = document.getElementById('root');
  history.replaceState(null, '', '/');
});

describe('alert logic', () => {
  it('builds a silence selector from labels, quoting values', () => {
    assert.equal(labelSelector({ alertname: 'Down', path: 'C:\\ "x"' }), '{alertname="Down", path="C:\\\\ \\"x\\""}');
  });
  it('applies alert events to a filtered list', () => {
    const f = { state: 'firing', severity: '', labels: { node: 'gw' } };
    const a = alert(1, 'firing', { node: 'gw' });
    assert.deepEqual(applyAlert([], a, f), [a]);
    assert.deepEqual(applyAlert([], alert(2, 'firing', { node: 'db' }), f), []);
    const acked = { ...a, acked: true };
    assert.deepEqual(
      applyAlert([alert(3, 'firing', { node: 'gw' }), a], acked, f).map((x) => x.acked),
      [false, true],
    );
    assert.deepEqual(applyAlert([a], { ...a, state: 'resolved' }, f), []);
  });
  it('reads the position of an expression error, and rule and silence bodies', () => {
    assert.deepEqual(exprPosition('at position 7: unexpected ")"'), { pos: 7, text: 'unexpected ")"' });
    assert.equal(exprPosition('no such thing'), null);
    assert.deepEqual(
      fromPairs(
        [
          ['summary', 'a, b = c'],
          ['', ''],
          [' runbook ', ' http://x?a=1 '],
        ],
        'annotations',
      ),
      { summary: 'a, b = c', runbook: 'http://x?a=1' },
    );
    assert.throws(
      () => fromPairs([['', 'oops']], 'annotations'),
      (e) => e.fields[0].field === 'annotations',
    );
    const v = {
      name: ' r ',
      kind: 'check_state',
      expr: 'x',
      check_id: '4',
      check_selector: '',
      for: '1m',
      keep_firing_for: '',
      interval: ' ',
      severity: 'info',
      labels: [['team', 'net']],
      annotations: [['summary', '']],
      enabled: true,
    };
    assert.deepEqual(ruleBody({ ...v, channels: ['2'] }), {
      name: 'r',
      kind: 'check_state',
      severity: 'info',
      enabled: true,
      channels: [2],
      escalations: [],
      for: '1m',
      labels: { team: 'net' },
      annotations: {},
      check_id: 4,
      check_selector: '',
    });
    assert.throws(
      () => ruleBody({ ...v, labels: [['', 'bad']] }),
      (e) => e.fields[0].field === 'labels',
    );
    const b = silenceBody({ matchers: ' {a="b"} ', starts_at: '', ends_at: '2030-01-02T03:04', comment: ' c ' });
    assert.deepEqual(Object.keys(b).sort(), ['comment', 'ends_at', 'matchers']);
    assert.equal(b.matchers, '{a="b"}');
    assert.equal(new Date(b.ends_at).getTime(), new Date('2030-01-02T03:04').getTime());
  });
});

describe('alerts page', () => {
  it('filters by state, severity and labels, and shows live alert events', async () => {
    reset();
    route('GET', '/api/v1/events', [{ id: 10 }]);
    route('GET', '/api/v1/alerts', (req) =>
      req.query.get('state') === 'firing'
        ? [alert(1, 'firing', { node: 'gw' })]
        : [alert(1, 'firing', { node: 'gw' }), alert(2, 'resolved')],
    );
    history.replaceState(null, '', '/alerts?state=firing&label=node%3Dgw');
    const q = new URLSearchParams(location.search);
    await act(() => render(<Alerts query={q} />, root));
    await until(() => root.querySelectorAll('[data-alert]').length === 1, 'the alert');
    const req = calls.find((c) => c.path === '/api/v1/alerts');
    assert.equal(req.query.get('state'), 'firing');
    assert.deepEqual(req.query.getAll('label'), ['node=gw']);
    assert.equal(root.querySelector('#al-state').value, 'firing');

    // A new firing alert of node gw arrives; one of another node does not belong here.
    await act(() =>
      sockets[0].receive({
        type: 'event',
        topic: 'events',
        data: {
          id: 11,
          topic: 'alerts',
          kind: 'alert.firing',
          at: new Date().toISOString(),
          data: { alert: alert(3, 'firing', { node: 'gw' }) },
        },
      }),
    );
    await act(() =>
      sockets[0].receive({
        type: 'event',
        topic: 'events',
        data: {
          id: 12,
          topic: 'alerts',
          kind: 'alert.firing',
          at: new Date().toISOString(),
          data: { alert: alert(4, 'firing', { node: 'db' }) },
        },
      }),
    );
    await until(() => root.querySelectorAll('[data-alert]').length === 2, 'the live alert');
    assert.deepEqual(
      [...root.querySelectorAll('[data-alert]')].map((li) => li.dataset.alert),
      ['3', '1'],
    );
    // It resolves: it leaves the list of firing alerts.
    await act(() =>
      sockets[0].receive({
        type: 'event',
        topic: 'events',
        data: {
          id: 13,
          topic: 'alerts',
          kind: 'alert.resolved',
          at: new Date().toISOString(),
          data: { alert: alert(3, 'resolved', { node: 'gw' }) },
        },
      }),
    );
    await until(() => root.querySelectorAll('[data-alert]').length === 1, 'the resolved alert to leave');
    // The navigation's count: the firing alert loaded at the start, and 4 (3 fired and resolved).
    assert.deepEqual([...firingAlerts].sort(), [4, 7]);
  });

  it('acknowledges with a comment and links to a prefilled silence', async () => {
    reset();
    route('GET', '/api/v1/alerts', [alert(1, 'firing', { node: 'gw' })]);
    route('POST', '/api/v1/alerts/1/ack', (req) =>
      alert(
        1,
        'firing',
        { node: 'gw' },
        { acked: true, ack: { by: 'ann', at: new Date().toISOString(), comment: req.body.comment } },
      ),
    );
    await act(() => render(<Alerts query={new URLSearchParams()} />, root));
    await until(() => root.querySelector('[data-alert="1"]'), 'the alert');
    const silence = [...root.querySelectorAll('a')].find((a) => a.textContent === 'Silence');
    assert.equal(
      new URL(silence.href, 'http://x/').searchParams.get('matchers'),
      '{alertname="Down", severity="critical", node="gw"}',
    );
    const ackButton = [...root.querySelectorAll('button')].find((b) => b.textContent === 'Acknowledge');
    await act(() => ackButton.click());
    await act(() => input(root.querySelector('textarea'), '  on it  '));
    await act(() =>
      root.querySelector('.ack-form').dispatchEvent(new Event('submit', { bubbles: true, cancelable: true })),
    );
    await until(() => text().includes('acknowledged by ann'), 'the acknowledgement');
    assert.deepEqual(calls.find((c) => c.method === 'POST').body, { comment: 'on it' });
    assert.ok(text().includes('“on it” — ann'));
    assert.ok(![...root.querySelectorAll('button')].some((b) => b.textContent === 'Acknowledge'));
  });
});

describe('muting changes', () => {
  it('reads the alerts again when a maintenance window or a silence changes, on the alerts page and a node\u2019s', async () => {
    reset();
    let windows = [];
    route('GET', '/api/v1/alerts', (req) =>
      req.query.get('state') === 'pending'
        ? []
        : [alert(1, 'firing', { node: 'gw' }, { maintenance: windows, muted: windows.length > 0 })],
    );
    await act(() =>
      render(
        <>
          <Alerts query={new URLSearchParams()} />
          <ActiveAlerts labels={{ node: 'gw' }} />
        </>,
        root,
      ),
    );
    await until(() => root.querySelectorAll('[data-alert="1"]').length === 2, 'the alert in both lists');
    assert.equal(root.querySelectorAll('.chip.maint').length, 0);
    windows = [{ id: 4, name: 'disk-swap' }];
    await act(() =>
      sockets[0].receive({
        type: 'event',
        topic: 'events',
        data: {
          id: 30,
          topic: 'alerts',
          kind: 'maintenance.created',
          at: new Date().toISOString(),
          data: { maintenance: { id: 4 } },
        },
      }),
    );
    await until(() => root.querySelectorAll('.chip.maint').length === 2, 'the maintenance chips');
    assert.equal(root.querySelector('.chip.maint').textContent, 'maintenance: disk-swap');
    // An event of another kind reads nothing again.
    const reads = calls.filter((c) => c.path === '/api/v1/alerts').length;
    await act(() =>
      sockets[0].receive({
        type: 'event',
        topic: 'events',
        data: { id: 31, topic: 'nodes', kind: 'node.created', at: new Date().toISOString(), data: {} },
      }),
    );
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(calls.filter((c) => c.path === '/api/v1/alerts').length, reads);
    windows = [];
    await act(() =>
      sockets[0].receive({
        type: 'event',
        topic: 'events',
        data: {
          id: 32,
          topic: 'alerts',
          kind: 'silence.expired',
          at: new Date().toISOString(),
          data: { silence: { id: 1 } },
        },
      }),
    );
    await until(() => root.querySelectorAll('.chip.maint').length === 0, 'the chips gone');
  });

  it('shows which alert inhibits one, and flapping, and reads again when an inhibit rule changes', async () => {
    reset();
    let inhibitedBy = null;
    route('GET', '/api/v1/alerts', (req) =>
      req.query.get('state') === 'pending'
        ? []
        : [
            alert(
              2,
              'firing',
              { node: 'gw', check: 'web' },
              { inhibited_by: inhibitedBy, muted: !!inhibitedBy, flapping: true },
            ),
          ],
    );
    await act(() => render(<Alerts query={new URLSearchParams()} />, root));
    await until(() => root.querySelector('.chip.flapping'), 'the flapping chip');
    assert.equal(root.querySelector('.chip.inhibited'), null);
    inhibitedBy = 9;
    await act(() =>
      sockets[0].receive({
        type: 'event',
        topic: 'events',
        data: {
          id: 40,
          topic: 'alerts',
          kind: 'inhibit_rule.created',
          at: new Date().toISOString(),
          data: { inhibit_rule: { id: 1 } },
        },
      }),
    );
    await until(() => root.querySelector('.chip.inhibited'), 'the inhibited chip');
    assert.equal(root.querySelector('.chip.inhibited').textContent, 'inhibited by #9');
  });
});

describe('silences page', () => {
  it('creates a silence from prefilled matchers and expires one', async () => {
    reset();
    const list = [
      {
        id: 1,
        matchers: '{a="b"}',
        starts_at: new Date().toISOString(),
        ends_at: new Date(Date.now() + 3600e3).toISOString(),
        comment: 'old',
        created_by: 'ann',
        created_at: new Date().toISOString(),
        state: 'active',
      },
    ];
    route('GET', '/api/v1/silences', () => list);
    route('POST', '/api/v1/silences', (req) =>
      req.body.comment
        ? (list.push({ ...list[0], id: 2, ...req.body }), list[1])
        : {
            status: 422,
            json: {
              success: false,
              error: {
                code: 'VALIDATION_FAILED',
                message: 'invalid',
                details: { fields: [{ field: 'comment', message: 'is required' }] },
              },
            },
          },
    );
    route('DELETE', '/api/v1/silences/1', { status: 204, json: {} });
    globalThis.confirm = () => true;
    await act(() => render(<Silences query={new URLSearchParams('new=1&matchers=%7Bnode%3D%22gw%22%7D')} />, root));
    await until(() => root.querySelector('[data-silence="1"]'), 'the list');
    assert.equal(root.querySelector('#f-matchers').value, '{node="gw"}');
    const form = root.querySelector('.silence-form');
    await act(() => form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true })));
    await until(() => root.querySelector('#f-comment-err'), 'the field error');
    assert.equal(root.querySelector('#f-comment-err').textContent, 'is required');
    await act(() => input(root.querySelector('#f-comment'), 'maintenance'));
    await act(() => form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true })));
    await until(() => root.querySelector('[data-silence="2"]'), 'the new silence');
    const body = calls.filter((c) => c.method === 'POST').pop().body;
    assert.equal(body.matchers, '{node="gw"}');
    assert.ok(Date.parse(body.ends_at) > Date.now());
    await act(() =>
      [...root.querySelectorAll('[data-silence="1"] button')].find((b) => b.textContent === 'Expire').click(),
    );
    await until(() => calls.some((c) => c.method === 'DELETE' && c.path === '/api/v1/silences/1'), 'the expiry');
  });
});

describe('rule editor', () => {
  it('previews the expression and shows a save error at its position', async () => {
    reset();
    route('GET', '/api/v1/checks', []);
    route('GET', '/prometheus/api/v1/query', (req) =>
      req.query.get('query').includes(')')
        ? { status: 400, json: { status: 'error', errorType: 'bad_data', error: 'at position 6: unexpected ")"' } }
        : {
            status: 200,
            json: {
              status: 'success',
              data: {
                resultType: 'vector',
                result: [{ metric: { __name__: 'probe_up', node: 'gw' }, value: [1, '0'] }],
              },
            },
          },
    );
    route('POST', '/api/v1/alert-rules', {
      status: 422,
      json: {
        success: false,
        error: {
          code: 'EXPR_INVALID',
          message: 'invalid',
          details: { fields: [{ field: 'expr', message: 'at position 9: expected a number' }] },
        },
      },
    });
    await act(() => render(<RuleEditor />, root));
    await act(() => input(root.querySelector('#f-expr'), 'probe_up == 0'));
    await until(() => text().includes('1 series now'), 'the preview');
    assert.ok(root.querySelector('.preview').textContent.includes('probe_up{node="gw"}'));
    await act(() => input(root.querySelector('#f-expr'), 'probe_up)'));
    await until(() => root.querySelector('.preview-box .expr-error'), 'the preview error');
    assert.equal(root.querySelector('.preview-box pre').textContent, 'probe_up)\n      ^');

    await act(() => input(root.querySelector('#f-name'), 'GwDown'));
    await act(() => input(root.querySelector('#f-expr'), 'probe_up == x'));
    await act(() => root.querySelector('form').dispatchEvent(new Event('submit', { bubbles: true, cancelable: true })));
    await until(() => root.querySelector('form > .field .expr-error'), 'the save error');
    assert.equal(root.querySelector('form > .field .expr-error pre').textContent, 'probe_up == x\n         ^');
    assert.equal(root.querySelector('#f-expr').getAttribute('aria-invalid'), 'true');
    assert.equal(calls.filter((c) => c.method === 'POST').pop().body.expr, 'probe_up == x');
  });
});

describe('rule editor, existing rule', () => {
  it('loads a check_state rule, saves changes with PATCH and deletes it', async () => {
    reset();
    const rule = {
      id: 5,
      name: 'SiteDown',
      kind: 'check_state',
      check_id: 3,
      check_selector: '',
      for: '1m',
      keep_firing_for: '0s',
      interval: '15s',
      severity: 'critical',
      labels: { team: 'net' },
      annotations: { summary: 'a, b' },
      channels: [2],
      enabled: true,
    };
    route('GET', '/api/v1/alert-rules/5', rule);
    route('GET', '/api/v1/checks', [{ id: 3, name: 'site' }]);
    route('PATCH', '/api/v1/alert-rules/5', (req) => ({ ...rule, ...req.body }));
    route('DELETE', '/api/v1/alert-rules/5', { status: 204, json: {} });
    globalThis.confirm = () => true;
    await act(() => render(<RuleEditor id={5} />, root));
    await until(() => root.querySelector('#f-check_id')?.value === '3', 'the rule');
    assert.equal(root.querySelector('#f-annotations').value, 'summary');
    assert.equal(root.querySelector('[aria-label="Annotations value 1"]').value, 'a, b');
    assert.equal(root.querySelector('#f-expr'), null);
    await act(() => input(root.querySelector('#f-for'), '5m'));
    await act(() => root.querySelector('form').dispatchEvent(new Event('submit', { bubbles: true, cancelable: true })));
    await until(() => text().includes('Saved.'), 'the save');
    const body = calls.find((c) => c.method === 'PATCH').body;
    assert.equal(body.for, '5m');
    assert.equal(body.check_id, 3);
    assert.deepEqual(body.channels, [2]); // as loaded
    await act(() => [...root.querySelectorAll('button')].find((b) => b.textContent === 'Delete rule').click());
    await until(() => calls.some((c) => c.method === 'DELETE'), 'the deletion');
    await until(() => location.pathname === '/alerts/rules', 'the list');
  });
});

describe('active alerts of a node', () => {
  it('shows the pending and firing alerts with its labels, live, and nothing without them', async () => {
    reset();
    route('GET', '/api/v1/alerts', (req) =>
      req.query.get('state') === 'firing' ? [alert(1, 'firing', { node: 'gw' })] : [],
    );
    await act(() => render(<ActiveAlerts labels={{ node: 'gw' }} />, root));
    await until(() => root.querySelector('[data-alert="1"]'), 'the alert');
    // Only the alert reads: a page the test before left may still be loading its own list.
    assert.deepEqual(
      calls.filter((c) => c.path === '/api/v1/alerts').map((c) => [c.query.get('state'), c.query.getAll('label')]),
      [
        ['firing', ['node=gw']],
        ['pending', ['node=gw']],
      ],
    );
    const send = (id, a) =>
      act(() =>
        sockets[0].receive({
          type: 'event',
          topic: 'events',
          data: { id, topic: 'alerts', kind: 'alert.' + a.state, at: new Date().toISOString(), data: { alert: a } },
        }),
      );
    await send(20, alert(2, 'pending', { node: 'gw' }));
    await send(21, alert(3, 'firing', { node: 'db' }));
    await until(() => root.querySelectorAll('[data-alert]').length === 2, 'the pending alert');
    await send(22, alert(1, 'resolved', { node: 'gw' }));
    await send(23, alert(2, 'resolved', { node: 'gw' }));
    await until(() => !root.querySelector('[data-alert]'), 'the resolved alerts to leave');
    assert.equal(root.textContent, '');
  });
});
