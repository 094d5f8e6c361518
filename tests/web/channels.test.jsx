// Channels, their editor (the kind's options from /channel-kinds through the shared option
// form, secrets masked and kept), "Send test", the outbox, and the channels of a rule.
import { describe, it, beforeEach, afterEach } from 'vitest';
import assert from 'node:assert/strict';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { route, reset, calls, until } from './fake_server.js';
import {
  Channels,
  ChannelEditor,
  channelBody,
  groupingValues,
  groupingBody,
  describeGrouping,
} from '../../web/src/pages/channels.jsx';
import { RuleEditor } from '../../web/src/pages/rules.jsx';
import { toForm, fromForm, optionValues } from '../../web/src/components/option_fields.jsx';

const WEBHOOK = {
  kind: 'webhook',
  title: 'Webhook',
  help: 'POSTs JSON',
  options: [
    { name: 'url', type: 'string', required: true, secret: false, default: null, help: 'Where to send' },
    {
      name: 'method',
      type: 'choice',
      required: false,
      secret: false,
      default: 'POST',
      choices: ['POST', 'PUT'],
      help: 'HTTP method',
    },
    { name: 'headers', type: 'string_map', required: false, secret: false, default: null, help: 'Extra headers' },
    {
      name: 'bearer_token',
      type: 'string',
      required: false,
      secret: true,
      default: null,
      help: 'Authorization: Bearer',
    },
  ],
};
// GET /api/v1/channel-grouping: the server's grouping options, as notify/outbox.cpp describes them.
const GROUPING = {
  options: [
    {
      name: 'group_by',
      type: 'string_list',
      required: false,
      secret: false,
      default: ['alertname'],
      help: 'labels whose values form a group',
    },
    {
      name: 'group_wait',
      type: 'duration',
      required: false,
      secret: false,
      default: '30s',
      help: 'how long a new group waits',
      min: 0,
      max: 604800000,
    },
    {
      name: 'group_interval',
      type: 'duration',
      required: false,
      secret: false,
      default: '5m',
      help: 'how long news waits',
      min: 1000,
      max: 604800000,
    },
    {
      name: 'repeat_interval',
      type: 'duration',
      required: false,
      secret: false,
      default: '4h',
      help: 'when a group is sent again',
      min: 1000,
      max: 604800000,
    },
  ],
};
const NTFY = {
  kind: 'ntfy',
  title: 'ntfy',
  help: '',
  options: [{ name: 'topic', type: 'string', required: true, secret: false, default: null, help: 'Topic' }],
};
const now = () => new Date().toISOString();
const channel = (extra = {}) => ({
  id: 5,
  name: 'ops-hook',
  kind: 'webhook',
  config: { url: 'http://127.0.0.1:9/h', method: 'POST', headers: { 'X-Team': 'net' }, bearer_token: '********' },
  created_at: now(),
  updated_at: now(),
  ...extra,
});
const failure = (status, code, message, fields = []) => ({
  status,
  json: { success: false, error: { code, message, details: { fields } } },
});

let root;
const text = () => root.textContent;
const input = (sel, value) => {
  const el = root.querySelector(sel);
  el.value = value;
  el.dispatchEvent(new Event('input', { bubbles: true }));
};
const submit = () => root.querySelector('form').dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
const button = (label) => [...root.querySelectorAll('button')].find((b) => b.textContent === label);
beforeEach(() => {
  reset();
  route('GET', '/api/v1/channel-grouping', GROUPING);
  document.body.innerHTML = '<div id="root"></div>';
  root = document.getElementById('root');
  history.replaceState(null, '', '/');
  globalThis.confirm = () => true;
});
afterEach(() => render(null, root)); // the outbox's refresh timer would keep the process alive

describe('option form values', () => {
  it('turns option values into form text and back, and keeps a masked secret as it came', () => {
    const [url, method, headers, token] = WEBHOOK.options;
    assert.deepEqual(toForm(headers, { A: '1', B: 'x: y' }), [
      ['A', '1'],
      ['B', 'x: y'],
    ]);
    assert.deepEqual(
      fromForm(headers, [
        ['A', '1'],
        ['', ''],
        [' B ', ' x: y '],
      ]),
      { A: '1', B: 'x: y' },
    );
    assert.equal(fromForm(headers, [['', '']]), undefined);
    assert.throws(
      () =>
        fromForm(
          headers,
          [
            ['A', '1'],
            ['A', '2'],
          ],
          'config.headers',
        ),
      (e) => e.fields[0].field === 'config.headers.A',
    );
    assert.equal(fromForm(method, ''), undefined);
    assert.equal(fromForm({ type: 'integer' }, '42'), 42);
    assert.deepEqual(optionValues(WEBHOOK.options, 'config.', channel().config), {
      'config.url': 'http://127.0.0.1:9/h',
      'config.method': 'POST',
      'config.headers': [['X-Team', 'net']],
      'config.bearer_token': '********',
    });
    const v = {
      name: ' hook ',
      'config.url': 'http://x/',
      'config.method': '',
      'config.headers': '',
      'config.bearer_token': '********',
    };
    assert.deepEqual(channelBody(WEBHOOK, v, true), {
      name: 'hook',
      kind: 'webhook',
      config: { url: 'http://x/', bearer_token: '********' },
    });
    assert.equal(channelBody(WEBHOOK, v, false).kind, undefined);
    assert.equal(fromForm(url, 'http://x/'), 'http://x/');
    assert.equal(toForm(token, undefined), '');
  });
});

describe('channel editor', () => {
  it('creates a channel of the chosen kind with its options, errors next to their fields', async () => {
    route('GET', '/api/v1/channel-kinds', [WEBHOOK, NTFY]);
    route('POST', '/api/v1/channels', (req) =>
      req.body.config.url
        ? { status: 201, json: { success: true, data: channel({ id: 9, name: req.body.name }) } }
        : failure(422, 'VALIDATION_FAILED', 'invalid', [{ field: 'config.url', message: 'is required' }]),
    );
    await act(() => render(<ChannelEditor />, root));
    await until(() => root.querySelector('#f-config-url'), 'the webhook options');
    assert.equal(root.querySelector('#f-config-bearer_token').type, 'password');
    assert.deepEqual(
      [...root.querySelectorAll('#f-config-method option')].map((o) => o.textContent),
      ['default (POST)', 'POST', 'PUT'],
    );
    // Another kind: its own options.
    await act(() => {
      const s = root.querySelector('#f-kind');
      s.value = 'ntfy';
      s.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await until(
      () => root.querySelector('#f-config-topic') && !root.querySelector('#f-config-url'),
      'the ntfy options',
    );
    await act(() => {
      const s = root.querySelector('#f-kind');
      s.value = 'webhook';
      s.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await until(() => root.querySelector('#f-config-url'), 'the webhook options again');
    await act(() => input('#f-name', 'ops-hook'));
    await act(() => submit());
    await until(() => root.querySelector('#f-config-url-err'), 'the field error');
    assert.equal(root.querySelector('#f-config-url-err').textContent, 'is required');
    assert.equal(root.querySelector('#f-config-url').getAttribute('aria-invalid'), 'true');
    await act(() => input('#f-config-url', 'http://127.0.0.1:9/h'));
    await act(() => input('#f-config-headers', 'X-Team'));
    await act(() => input('[aria-label="headers value 1"]', 'net'));
    await act(() => submit());
    await until(() => location.pathname === '/channels/9', 'the new channel');
    assert.deepEqual(calls.filter((c) => c.method === 'POST').pop().body, {
      name: 'ops-hook',
      kind: 'webhook',
      config: { url: 'http://127.0.0.1:9/h', headers: { 'X-Team': 'net' } },
    });
  });

  it('edits a channel keeping its masked secret, sends a test and shows the answer', async () => {
    route('GET', '/api/v1/channel-kinds', [WEBHOOK]);
    route('GET', '/api/v1/channels/5', channel());
    route('PATCH', '/api/v1/channels/5', (req) =>
      channel({ config: { ...req.body.config, bearer_token: '********' } }),
    );
    let delivered = false;
    route('POST', '/api/v1/channels/5/test', () =>
      delivered ? { delivered: true } : failure(502, 'CHANNEL_TEST_FAILED', 'HTTP 404: no such hook'),
    );
    route(
      'DELETE',
      '/api/v1/channels/5',
      failure(409, 'CHANNEL_IN_USE', 'The channel is used by alert rules: SiteDown.'),
    );
    await act(() => render(<ChannelEditor id={5} />, root));
    await until(() => root.querySelector('#f-config-bearer_token'), 'the form');
    assert.equal(root.querySelector('#f-config-bearer_token').value, '********');
    assert.ok(text().includes('Stored; kept unless you change it.'));
    assert.equal(root.querySelector('#f-kind').disabled, true);
    await act(() => input('#f-config-url', 'http://127.0.0.1:9/other'));
    await act(() => submit());
    await until(() => text().includes('Saved.'), 'the save');
    assert.deepEqual(calls.find((c) => c.method === 'PATCH').body, {
      name: 'ops-hook',
      config: {
        url: 'http://127.0.0.1:9/other',
        method: 'POST',
        headers: { 'X-Team': 'net' },
        bearer_token: '********',
      },
      grouping: null,
    });

    await act(() => button('Send test').click());
    await until(() => root.querySelector('.run-result'), 'the failed test');
    assert.match(root.querySelector('.run-result').textContent, /Not delivered: HTTP 404: no such hook/);
    delivered = true;
    await act(() => button('Send test').click());
    await until(() => text().includes('Delivered.'), 'the delivered test');

    await act(() => button('Delete channel').click());
    await until(() => root.querySelector('.form-error'), 'the refusal');
    assert.match(root.querySelector('.form-error').textContent, /SiteDown\. Remove it from those rules first\./);
  });
});

describe('channel editor, secrets inside values', () => {
  it('shows the masked parts of the URL and headers, says they are kept, and sends them back as they came', async () => {
    const config = {
      url: 'http://hook:********@127.0.0.1:9/h?token=********&x=1',
      method: 'POST',
      headers: { Authorization: '********', 'X-Team': 'net' },
      bearer_token: '********',
    };
    route('GET', '/api/v1/channel-kinds', [WEBHOOK]);
    route('GET', '/api/v1/channels/5', channel({ config }));
    route('PATCH', '/api/v1/channels/5', (req) => channel({ name: req.body.name, config }));
    await act(() => render(<ChannelEditor id={5} />, root));
    await until(() => root.querySelector('#f-config-url'), 'the form');
    assert.equal(root.querySelector('#f-config-url').value, config.url);
    assert.deepEqual(
      [...root.querySelectorAll('.kv-row input')].map((i) => i.value),
      ['Authorization', '********', 'X-Team', 'net', '', ''],
    );
    assert.ok(text().includes('Stored secrets (********); kept unless you change them.'));
    await act(() => input('#f-name', 'ops-hook-2'));
    await act(() => submit());
    await until(() => text().includes('Saved.'), 'the save');
    assert.deepEqual(calls.find((c) => c.method === 'PATCH').body.config, config);
  });
});

describe('channel grouping', () => {
  const grouped = { group_by: ['alertname', 'node'], group_wait: '30s', group_interval: '5m', repeat_interval: '4h' };
  const check = (sel, on) => {
    const el = root.querySelector(sel);
    el.checked = on;
    el.dispatchEvent(new Event('change', { bubbles: true }));
  };

  it('turns grouping into form values and back: off is null, an empty group_by is one group', () => {
    assert.deepEqual(groupingValues(null, GROUPING.options), {
      grouping: false,
      'grouping.group_by': 'alertname',
      'grouping.group_wait': '',
      'grouping.group_interval': '',
      'grouping.repeat_interval': '',
    });
    const v = groupingValues(grouped, GROUPING.options);
    assert.equal(v['grouping.group_by'], 'alertname, node');
    assert.deepEqual(groupingBody(v), grouped);
    assert.deepEqual(groupingBody({ ...v, 'grouping.group_by': ' ', 'grouping.group_wait': '' }), {
      group_by: [],
      group_interval: '5m',
      repeat_interval: '4h',
    });
    assert.equal(groupingBody({ ...v, grouping: false }), null);
    const base = { name: 'h', 'config.url': 'http://x/' };
    assert.equal(
      'grouping' in channelBody(WEBHOOK, { ...base, ...groupingValues(null, GROUPING.options) }, true),
      false,
      'a new channel without grouping leaves it out',
    );
    assert.equal(
      channelBody(WEBHOOK, { ...base, ...groupingValues(null, GROUPING.options) }, false).grouping,
      null,
      'an edit turns it off',
    );
    assert.equal(describeGrouping(grouped), 'by alertname, node · 30s / 5m / 4h');
    assert.equal(describeGrouping({ ...grouped, group_by: ['...'] }), 'by all labels · 30s / 5m / 4h');
  });

  it('creates a channel with grouping, the server\u2019s 422 at each grouping field', async () => {
    route('GET', '/api/v1/channel-kinds', [WEBHOOK]);
    route('POST', '/api/v1/channels', (req) => {
      const g = req.body.grouping;
      if (g.group_wait === '8d' || g.group_by.includes('9x')) {
        return failure(422, 'VALIDATION_FAILED', 'invalid channel', [
          ...(g.group_wait === '8d' ? [{ field: 'grouping.group_wait', message: 'must be between 0ms and 7d' }] : []),
          ...(g.group_by.includes('9x')
            ? [{ field: 'grouping.group_by', message: 'must be label names, or ["..."] for all labels' }]
            : []),
        ]);
      }
      return {
        status: 201,
        json: {
          success: true,
          data: channel({
            id: 9,
            name: req.body.name,
            grouping: { group_interval: '5m', repeat_interval: '4h', ...g },
          }),
        },
      };
    });
    await act(() => render(<ChannelEditor />, root));
    await until(() => root.querySelector('#f-config-url'), 'the form');
    assert.equal(root.querySelector('#f-grouping').checked, false);
    assert.equal(root.querySelector('#f-grouping-group_by'), null, 'no grouping fields while it is off');
    await act(() => check('#f-grouping', true));
    await until(() => root.querySelector('#f-grouping-group_by'), 'the grouping fields');
    assert.equal(root.querySelector('#f-grouping-group_by').value, 'alertname');
    assert.equal(root.querySelector('#f-grouping-repeat_interval').placeholder, '4h');
    assert.match(
      root.querySelector('#f-grouping-group_wait').closest('.field').textContent,
      /How long a new group waits\. Empty: 30s\./,
      'help and default from the server',
    );
    await act(() => input('#f-name', 'grouped-hook'));
    await act(() => input('#f-config-url', 'http://127.0.0.1:9/h'));
    await act(() => input('#f-grouping-group_by', 'alertname, 9x'));
    await act(() => input('#f-grouping-group_wait', '8d'));
    await act(() => submit());
    await until(() => root.querySelector('#f-grouping-group_wait-err'), 'the group_wait error');
    assert.equal(root.querySelector('#f-grouping-group_wait-err').textContent, 'must be between 0ms and 7d');
    assert.equal(root.querySelector('#f-grouping-group_wait').getAttribute('aria-invalid'), 'true');
    assert.equal(
      root.querySelector('#f-grouping-group_by-err').textContent,
      'must be label names, or ["..."] for all labels',
    );
    assert.equal(root.querySelector('.form-error').textContent, 'Please correct the highlighted fields.');
    await act(() => input('#f-grouping-group_by', 'alertname, site'));
    await act(() => input('#f-grouping-group_wait', '10s'));
    await act(() => submit());
    await until(() => location.pathname === '/channels/9', 'the new channel');
    assert.deepEqual(calls.filter((c) => c.method === 'POST').pop().body, {
      name: 'grouped-hook',
      kind: 'webhook',
      config: { url: 'http://127.0.0.1:9/h' },
      grouping: { group_by: ['alertname', 'site'], group_wait: '10s' },
    });
  });

  it('shows a channel\u2019s grouping when opened, saves a change, and turns it off', async () => {
    let stored = channel({ grouping: grouped });
    route('GET', '/api/v1/channel-kinds', [WEBHOOK]);
    route('GET', '/api/v1/channels/5', () => stored);
    route('PATCH', '/api/v1/channels/5', (req) =>
      req.body.grouping?.repeat_interval === '500ms'
        ? failure(422, 'VALIDATION_FAILED', 'invalid channel', [
            { field: 'grouping.repeat_interval', message: 'must be between 1s and 7d' },
          ])
        : (stored = channel({ ...req.body, config: { ...req.body.config, bearer_token: '********' } })),
    );
    await act(() => render(<ChannelEditor id={5} />, root));
    await until(() => root.querySelector('#f-grouping-group_by'), 'the grouping fields');
    assert.equal(root.querySelector('#f-grouping').checked, true);
    assert.equal(root.querySelector('#f-grouping-group_by').value, 'alertname, node');
    assert.equal(root.querySelector('#f-grouping-group_interval').value, '5m');
    await act(() => input('#f-grouping-repeat_interval', '500ms'));
    await act(() => submit());
    await until(() => root.querySelector('#f-grouping-repeat_interval-err'), 'the repeat_interval error');
    assert.equal(root.querySelector('#f-grouping-repeat_interval-err').textContent, 'must be between 1s and 7d');
    await act(() => input('#f-grouping-repeat_interval', '1h'));
    await act(() => submit());
    await until(() => text().includes('Saved.'), 'the save');
    assert.deepEqual(calls.filter((c) => c.method === 'PATCH').pop().body.grouping, {
      ...grouped,
      repeat_interval: '1h',
    });
    assert.equal(
      root.querySelector('#f-grouping-repeat_interval').value,
      '1h',
      'the form shows what the server stored',
    );
    // Off: the PATCH says null, and the fields go.
    await act(() => check('#f-grouping', false));
    await until(() => !root.querySelector('#f-grouping-group_by'), 'the fields gone');
    await act(() => submit());
    await until(() => calls.filter((c) => c.method === 'PATCH').length === 3, 'the third save');
    assert.equal(calls.filter((c) => c.method === 'PATCH').pop().body.grouping, null);
    await until(() => stored.grouping === null, 'stored without grouping');
  });

  it('lists each channel\u2019s grouping', async () => {
    route('GET', '/api/v1/channels', [channel(), channel({ id: 6, name: 'grouped', grouping: grouped })]);
    route('GET', '/api/v1/notifications', []);
    await act(() => render(<Channels query={new URLSearchParams()} />, root));
    await until(() => root.querySelector('[data-channel="6"]'), 'the list');
    assert.match(root.querySelector('[data-channel="5"]').textContent, /none/);
    assert.match(root.querySelector('[data-channel="6"]').textContent, /by alertname, node · 30s \/ 5m \/ 4h/);
  });
});

describe('channels page', () => {
  it('lists channels and the outbox with attempts, errors and age, filtered', async () => {
    route('GET', '/api/v1/channels', [channel()]);
    const mins = (m) => new Date(Date.now() - m * 60e3).toISOString();
    route('GET', '/api/v1/notifications', (req) =>
      [
        {
          id: 2,
          channel_id: 5,
          channel: 'ops-hook',
          alert_id: 1,
          rule: 'SiteDown',
          event: 'firing',
          state: 'pending',
          attempts: 3,
          last_error: 'Failed to connect to 127.0.0.1 port 9',
          created_at: mins(5),
          next_attempt_at: mins(-1),
          sent_at: null,
        },
        {
          id: 1,
          channel_id: 5,
          channel: 'ops-hook',
          alert_id: 1,
          rule: 'SiteDown',
          event: 'resolved',
          state: 'delivered',
          attempts: 1,
          last_error: null,
          created_at: mins(90),
          sent_at: mins(89),
        },
        {
          id: 3,
          channel_id: 5,
          channel: 'ops-hook',
          alert_id: 2,
          rule: 'DiskFull',
          event: 'firing',
          state: 'muted',
          attempts: 0,
          last_error: null,
          created_at: mins(3),
          sent_at: mins(2),
        },
      ].filter((n) => !req.query.get('state') || n.state === req.query.get('state')),
    );
    history.replaceState(null, '', '/channels');
    await act(() => render(<Channels query={new URLSearchParams()} />, root));
    await until(
      () => root.querySelector('[data-channel="5"]') && root.querySelector('[data-notification="2"]'),
      'the lists',
    );
    const pending = root.querySelector('[data-notification="2"]').textContent;
    assert.match(pending, /Pending/);
    assert.match(pending, /Failed to connect to 127\.0\.0\.1 port 9/);
    assert.match(pending, /5 min ago/);
    assert.equal(root.querySelector('[data-notification="2"] .num').textContent, '3');
    assert.match(root.querySelector('[data-notification="1"]').textContent, /1 h ago.*sent 1 h ago/);
    // sent_at of a muted notification is when it was muted: it was never sent.
    assert.match(root.querySelector('[data-notification="3"]').textContent, /Muted.*muted 2 min ago/);
    assert.doesNotMatch(root.querySelector('[data-notification="3"]').textContent, /sent/);
    assert.deepEqual(
      [...root.querySelectorAll('#ob-state option')].map((o) => o.value),
      ['', 'pending', 'delivered', 'failed', 'collapsed', 'waiting', 'grouped', 'muted'],
    );
    // The state filter goes to the URL (the page reads it from the query).
    const s = root.querySelector('#ob-state');
    await act(() => {
      s.value = 'delivered';
      s.dispatchEvent(new Event('change', { bubbles: true }));
    });
    assert.equal(new URLSearchParams(location.search).get('state'), 'delivered');
    await act(() => render(<Channels query={new URLSearchParams(location.search)} />, root));
    await until(() => !root.querySelector('[data-notification="2"]'), 'the filtered outbox');
    assert.equal(
      calls
        .filter((c) => c.path === '/api/v1/notifications')
        .pop()
        .query.get('state'),
      'delivered',
    );
  });
});

describe('rule editor channels', () => {
  it('shows a rule\u2019s channels and saves the ones chosen', async () => {
    route('GET', '/api/v1/checks', []);
    route('GET', '/api/v1/channels', [channel(), channel({ id: 6, name: 'pager', kind: 'pagerduty' })]);
    route('GET', '/api/v1/alert-rules/3', {
      id: 3,
      name: 'SiteDown',
      kind: 'check_state',
      check_id: null,
      check_selector: '{check="site"}',
      for: '0s',
      keep_firing_for: '0s',
      interval: '15s',
      severity: 'critical',
      labels: {},
      annotations: {},
      channels: [5],
      enabled: true,
    });
    route('PATCH', '/api/v1/alert-rules/3', (req) => ({
      id: 3,
      name: 'SiteDown',
      kind: 'check_state',
      check_id: null,
      check_selector: '{check="site"}',
      for: '0s',
      keep_firing_for: '0s',
      interval: '15s',
      severity: 'critical',
      labels: {},
      annotations: {},
      channels: req.body.channels,
      enabled: true,
    }));
    await act(() => render(<RuleEditor id={3} />, root));
    await until(() => root.querySelectorAll('.channel-choice input').length === 2, 'the channels');
    const [hook, pager] = root.querySelectorAll('.channel-choice input');
    assert.equal(hook.checked, true);
    assert.equal(pager.checked, false);
    await act(() => {
      hook.checked = false;
      hook.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await act(() => {
      pager.checked = true;
      pager.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await act(() => submit());
    await until(() => text().includes('Saved.'), 'the save');
    assert.deepEqual(calls.find((c) => c.method === 'PATCH').body.channels, [6]);
  });
});
