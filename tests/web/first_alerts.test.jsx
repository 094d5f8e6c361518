// The first ten minutes of alerting against a fake server: a new rule left at its defaults says
// what is missing before sending; the rules list names checks; the check form tests unsaved
// values, notifies through a rule of its own (made with the check, linked) and shows a push
// check's URL at once; the first-run page sends a test and attaches its channel to the built-in
// rules.
import { describe, it, beforeEach, afterEach } from 'vitest';
import assert from 'node:assert/strict';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { route, reset, calls, until } from './fake_server.js';
import { RuleEditor, Rules, ruleBody, NEW_RULE } from '../../web/src/pages/rules.jsx';
import { CheckEditor } from '../../web/src/pages/check_editor.jsx';
import { WelcomeAlerts, attachToBuiltins, firstKinds, templateText } from '../../web/src/pages/welcome.jsx';
import { saveNotify, notifyRuleBody } from '../../web/src/components/check_notify.jsx';

const now = () => new Date().toISOString();
// A rule as the API shows it, with what these pages read.
const rule = (extra) => ({
  kind: 'check_state',
  check_id: null,
  check_selector: '',
  channels: [],
  enabled: true,
  severity: 'critical',
  for: '0s',
  annotations: {},
  builtin: null,
  ...extra,
});
const BUILTINS = [
  rule({
    id: 1,
    name: 'CheckDown',
    check_selector: '{check=~".+"}',
    builtin: 'check_down',
    annotations: { summary: 'Check down' },
  }),
  rule({ id: 2, name: 'NodeDown', kind: 'expr', expr: 'max by (node) (probe_up) == 0', builtin: 'node_down' }),
];
const HTTP_KIND = {
  kind: 'http',
  title: 'HTTP(S)',
  target_help: 'URL',
  target_example: 'https://example.org/',
  condition_example: 'status == 200',
  default_interval: '1m',
  default_timeout: '10s',
  passive: false,
  facts: [],
  options: [],
  charts: [],
};
const PUSH_KIND = { ...HTTP_KIND, kind: 'push', title: 'Push', passive: true };
const WEBHOOK = {
  kind: 'webhook',
  title: 'Webhook',
  help: '',
  options: [{ name: 'url', type: 'string', required: true, secret: false, default: null, help: 'where to POST' }],
};
const NTFY = { kind: 'ntfy', title: 'ntfy', help: '', options: [] };

let root;
const button = (label) => [...root.querySelectorAll('button')].find((b) => b.textContent.trim() === label);
const input = (el, value) => {
  el.value = value;
  el.dispatchEvent(new Event('input', { bubbles: true }));
};
const submit = () => root.querySelector('form').dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
const sent = (method, path) => calls.filter((c) => c.method === method && c.path === path);

beforeEach(() => {
  reset();
  document.body.innerHTML = '<div id="root"></div>';
  root = document.getElementById('root');
  route('GET', '/api/v1/checks', []);
  route('GET', '/api/v1/channels', []);
  route('GET', '/api/v1/alert-rules', []);
  route('GET', '/api/v1/check-kinds', [HTTP_KIND, PUSH_KIND]);
});
afterEach(() => render(null, root));

describe('the rule form', () => {
  it('says what a new rule left at its defaults lacks, before sending anything', async () => {
    const defaults = NEW_RULE;
    assert.throws(
      () => ruleBody(defaults),
      (err) =>
        assert.deepEqual(
          err.fields.map((f) => f.field),
          ['name', 'expr'],
        ) ?? true,
    );
    assert.throws(
      () => ruleBody({ ...defaults, name: 'X', kind: 'check_state' }),
      (err) =>
        assert.deepEqual(
          err.fields.map((f) => f.field),
          ['check_id'],
        ) ?? true,
    );
    // Filled in, the empty summary is left out: the server refuses empty annotations.
    const body = ruleBody({ ...defaults, name: 'X', expr: 'up == 0' });
    assert.deepEqual(body.annotations, {});

    route('POST', '/api/v1/alert-rules', (req) => rule({ id: 9, ...req.body }));
    await act(() => render(<RuleEditor />, root));
    await until(() => root.querySelector('form'), 'the form');
    await act(submit);
    await until(() => root.querySelector('#f-expr-err'), 'the expression’s error');
    assert.match(root.querySelector('#f-name-err').textContent, /Required/);
    assert.match(root.querySelector('#f-expr-err').textContent, /Required/);
    assert.equal(sent('POST', '/api/v1/alert-rules').length, 0);
  });

  it('lists rules with the names of their checks', async () => {
    route('GET', '/api/v1/alert-rules', [...BUILTINS, rule({ id: 3, name: 'web down', check_id: 7, channels: [5] })]);
    route('GET', '/api/v1/checks/7', { id: 7, name: 'web' });
    await act(() => render(<Rules />, root));
    await until(() => root.textContent.includes('web is down'), 'the check’s name');
    assert.ok(!root.textContent.includes('#7'));
    assert.ok(root.textContent.includes('built-in'));
    // The built-in rules notify nobody: the page says where to choose.
    assert.ok(root.querySelector('#rules-unsent a[href="/welcome/alerts"]'));
  });
});

describe('the check form', () => {
  it('tests the unsaved form and shows the run with its samples', async () => {
    route('POST', '/api/v1/checks/test', {
      at: now(),
      up: true,
      duration_ms: 12.5,
      error: null,
      message: '200 OK',
      facts: { status: 200 },
      metrics: [
        { name: 'probe_up', labels: {}, value: 1 },
        { name: 'probe_http_duration_seconds', labels: { phase: 'connect' }, value: 0.001 },
      ],
    });
    await act(() => render(<CheckEditor />, root));
    await until(() => root.querySelector('#f-kind'), 'the form');
    await act(() => input(root.querySelector('#f-name'), 'web'));
    await act(() => input(root.querySelector('#f-target'), 'http://127.0.0.1:8080/'));
    await act(() => button('Test').click());
    await until(() => root.querySelector('.run-result'), 'the result');
    const [req] = sent('POST', '/api/v1/checks/test');
    assert.equal(req.body.kind, 'http');
    assert.equal(req.body.target, 'http://127.0.0.1:8080/');
    assert.match(root.querySelector('.run-result').textContent, /^Up in 13 ms — 200 OK/);
    assert.match(root.querySelector('.metrics').textContent, /probe_http_duration_seconds\{phase="connect"\}0\.001/);
    assert.equal(sent('POST', '/api/v1/checks').length, 0); // nothing saved
  });

  it('notifies through a rule of the check’s own, made with it', async () => {
    route('GET', '/api/v1/channels', [{ id: 5, name: 'ops', kind: 'webhook', config: {} }]);
    route('GET', '/api/v1/alert-rules', BUILTINS);
    route('POST', '/api/v1/checks', (req) => ({ id: 11, ...req.body, push_url: null }));
    route('POST', '/api/v1/alert-rules', (req) => rule({ id: 12, ...req.body }));
    await act(() => render(<CheckEditor />, root));
    await until(() => root.querySelector('input[name=notify]'), 'the channels');
    // Which rule does it, in words, before anything is made; the built-in one is named too.
    await act(() => input(root.querySelector('#f-name'), 'web'));
    assert.match(root.querySelector('#notify-help').textContent, /creates the alert rule web down/);
    assert.match(
      root.querySelector('#notify-help').textContent,
      /CheckDown covers every check and sends to nobody yet/,
    );
    await act(() => input(root.querySelector('#f-target'), 'http://127.0.0.1:8080/'));
    const box = root.querySelector('input[name=notify]');
    box.checked = true;
    await act(() => box.dispatchEvent(new Event('change', { bubbles: true })));
    await act(submit);
    await until(() => sent('POST', '/api/v1/alert-rules').length === 1, 'the rule');
    assert.deepEqual(sent('POST', '/api/v1/alert-rules')[0].body, notifyRuleBody({ id: 11, name: 'web' }, [5]));
  });

  it('keeps the rule when channels change, and leaves it alone when they do not', async () => {
    const own = rule({ id: 12, name: 'web down', check_id: 11, channels: [5] });
    route('PATCH', '/api/v1/alert-rules/12', (req) => ({ ...own, ...req.body }));
    assert.equal(await saveNotify({ id: 11, name: 'web' }, { own, chosen: ['5'] }), own);
    assert.equal(calls.length, 0);
    const changed = await saveNotify({ id: 11, name: 'web' }, { own, chosen: [] });
    assert.deepEqual(changed.channels, []);
    assert.deepEqual(sent('PATCH', '/api/v1/alert-rules/12')[0].body, { channels: [] });
    assert.equal(await saveNotify({ id: 11, name: 'web' }, { own: null, chosen: [] }), null);
  });

  it('shows a push check’s URL and a curl line as soon as it is created', async () => {
    route('POST', '/api/v1/checks', (req) => ({ id: 21, ...req.body, push_url: '/api/v1/push/abc123' }));
    await act(() => render(<CheckEditor />, root));
    await until(() => root.querySelector('#f-kind'), 'the form');
    const kind = root.querySelector('#f-kind');
    kind.value = 'push';
    await act(() => kind.dispatchEvent(new Event('input', { bubbles: true })));
    await act(() => input(root.querySelector('#f-name'), 'backup'));
    await act(submit);
    await until(() => root.querySelector('#push-url'), 'the push URL');
    assert.equal(root.querySelector('#push-url').textContent, 'http://localhost/api/v1/push/abc123');
    assert.match(
      root.querySelector('#push-curl').textContent,
      /^curl .*'http:\/\/localhost\/api\/v1\/push\/abc123\?status=up&msg=OK'$/,
    );
    assert.equal(sent('POST', '/api/v1/checks')[0].body.kind, 'push');
  });
});

describe('where to send alerts', () => {
  it('reads the rules\u2019 templates as sentences', () => {
    assert.equal(
      templateText('The certificate of {{ $labels.check }} expires in {{ humanize $value }} days'),
      'The certificate of ‹check› expires in N days',
    );
  });

  it('puts the usual kinds first', () => {
    assert.deepEqual(
      firstKinds([{ kind: 'pagerduty' }, WEBHOOK, NTFY, { kind: 'email' }]).map((k) => k.kind),
      ['email', 'ntfy', 'webhook', 'pagerduty'],
    );
  });

  it('attaches a channel to the built-in rules only, once', async () => {
    route('PATCH', '/api/v1/alert-rules/', (req) => ({ id: +req.path.split('/').pop(), ...req.body }));
    const mine = rule({ id: 3, name: 'mine' });
    const already = { ...BUILTINS[1], channels: [5] };
    const changed = await attachToBuiltins([BUILTINS[0], already, mine], 5);
    assert.deepEqual(
      calls.map((c) => [c.path, c.body]),
      [['/api/v1/alert-rules/1', { channels: [5] }]],
    );
    assert.equal(changed.length, 1);
  });

  it('makes the channel, sends a test through it, then attaches it', async () => {
    route('GET', '/api/v1/channel-kinds', [WEBHOOK, NTFY]);
    route('GET', '/api/v1/alert-rules', BUILTINS);
    route('POST', '/api/v1/channels', (req) => ({ id: 5, ...req.body }));
    route('PATCH', '/api/v1/channels/5', (req) => ({ id: 5, ...req.body }));
    route('POST', '/api/v1/channels/5/test', { sent: true });
    route('PATCH', '/api/v1/alert-rules/', (req) => ({ id: +req.path.split('/').pop(), ...req.body }));
    await act(() => render(<WelcomeAlerts />, root));
    await until(() => root.querySelector('#f-kind'), 'the kinds');
    assert.equal(root.querySelector('#f-kind').value, 'ntfy'); // the usual kinds first
    const kind = root.querySelector('#f-kind');
    kind.value = 'webhook';
    await act(() => {
      kind.dispatchEvent(new Event('input', { bubbles: true }));
      kind.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await until(() => root.querySelector('#f-config-url'), 'the webhook’s settings');
    assert.ok(root.textContent.includes('CheckDown'));
    await act(() => input(root.querySelector('#f-config-url'), 'http://127.0.0.1:9/hook'));
    await act(() => button('Send test').click());
    await until(() => root.textContent.includes('Delivered.'), 'the test’s answer');
    assert.deepEqual(sent('POST', '/api/v1/channels')[0].body, {
      name: 'alerts',
      kind: 'webhook',
      config: { url: 'http://127.0.0.1:9/hook' },
    });
    await act(submit);
    await until(() => sent('PATCH', '/api/v1/alert-rules/2').length === 1, 'the rules attached');
    // The second save changes the channel made by the test instead of making another.
    assert.equal(sent('POST', '/api/v1/channels').length, 1);
    assert.equal(sent('PATCH', '/api/v1/channels/5').length, 1);
    assert.deepEqual(sent('PATCH', '/api/v1/alert-rules/1')[0].body, { channels: [5] });
    assert.equal(location.pathname, '/');
  });
});
