// Maintenance windows against a fake server: one-off and recurring windows by node or label,
// the active ones marked, edit and delete; and the alerts a window covers.
import { describe, it, beforeEach, afterEach } from 'vitest';
import assert from 'node:assert/strict';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { route, reset, calls, until } from './fake_server.js';
import { nodes } from '../../web/src/live.js';
import {
  Maintenance,
  windowBody,
  windowValues,
  describeSchedule,
  localOffset,
  localZone,
  emptyWindow,
} from '../../web/src/pages/maintenance.jsx';
import { AlertItem } from '../../web/src/pages/alerts.jsx';

nodes.set(1, { id: 1, name: 'gw-1', status: 'up' });
nodes.set(2, { id: 2, name: 'db-1', status: 'up' });
const byName = (name) => [...nodes.values()].filter((n) => n.name === name);
const iso = (ms) => new Date(ms).toISOString();
const weekly = {
  id: 1,
  name: 'Patch night',
  comment: 'kernel updates',
  node_ids: [1, 7],
  matchers: '',
  recurrence: { every: 'week', days: ['sat', 'sun'], start_time: '02:00', duration: '2h', time_zone: 'UTC' },
  active: true,
  created_by: 'ann',
  created_at: iso(Date.now()),
  updated_at: iso(Date.now()),
};
const once = {
  id: 2,
  name: 'Rack move',
  comment: '',
  node_ids: [],
  matchers: '{site="lab"}',
  starts_at: iso(Date.now() + 3600e3),
  ends_at: iso(Date.now() + 7200e3),
  active: false,
  created_by: 'ann',
  created_at: iso(Date.now()),
  updated_at: iso(Date.now()),
};
const failure = (fields) => ({
  status: 422,
  json: { success: false, error: { code: 'VALIDATION_FAILED', message: 'invalid', details: { fields } } },
});

let root;
const text = () => root.textContent;
const input = (sel, value) => {
  const el = root.querySelector(sel);
  el.value = value;
  el.dispatchEvent(new Event('input', { bubbles: true }));
};
const check = (el, on) => {
  el.checked = on;
  el.dispatchEvent(new Event('change', { bubbles: true }));
};
const submit = () => root.querySelector('form').dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
const button = (label, scope = root) => [...scope.querySelectorAll('button')].find((b) => b.textContent === label);
beforeEach(() => {
  reset();
  document.body.innerHTML = '<div id="root"></div>';
  root = document.getElementById('root');
  globalThis.confirm = () => true;
});
afterEach(() => render(null, root)); // the page's 30 s reload timer would keep the process alive

describe('maintenance logic', () => {
  it('writes UTC offsets and schedules', () => {
    assert.equal(localOffset(0), 'UTC');
    assert.equal(localOffset(60), '+01:00');
    assert.equal(localOffset(-330), '-05:30');
    // A new window starts in the browser's named zone, which the server follows through DST.
    assert.equal(localZone(), Intl.DateTimeFormat().resolvedOptions().timeZone);
    assert.equal(emptyWindow()['recurrence.time_zone'], localZone());
    assert.equal(
      describeSchedule({ recurrence: { ...weekly.recurrence, time_zone: 'Europe/Amsterdam' } }),
      'every week on sat, sun at 02:00 for 2h (Europe/Amsterdam)',
    );
    assert.equal(describeSchedule(weekly), 'every week on sat, sun at 02:00 for 2h (UTC)');
    assert.equal(
      describeSchedule({ recurrence: { ...weekly.recurrence, every: 'day', days: undefined } }),
      'every day at 02:00 for 2h (UTC)',
    );
  });
  it('builds bodies from the form: node names to ids, one-off times, recurrences', () => {
    const v = { ...windowValues(once), node_ids: 'gw-1, db-1' };
    const b = windowBody(v, byName);
    assert.deepEqual(b.node_ids, [1, 2]);
    assert.equal(b.matchers, '{site="lab"}');
    assert.ok(Math.abs(Date.parse(b.starts_at) - Date.parse(once.starts_at)) < 60e3); // to the minute
    assert.equal(b.recurrence, undefined);
    assert.throws(
      () => windowBody({ ...v, node_ids: 'gw-1, nope' }, byName),
      (e) => e.fields[0].field === 'node_ids' && /nope/.test(e.fields[0].message),
    );
    const r = windowBody({ ...windowValues(weekly), node_ids: 'gw-1', 'recurrence.every': 'day' }, byName);
    assert.deepEqual(r.recurrence, { every: 'day', start_time: '02:00', duration: '2h', time_zone: 'UTC', days: null });
    assert.equal(r.starts_at, undefined);
    // A deleted node of the window reads as its id, and the form will not resolve it.
    assert.equal(windowValues(weekly).node_ids, 'gw-1, #7 (deleted)');
  });
});

describe('maintenance page', () => {
  it('lists windows with the active ones marked, and creates a weekly window by node', async () => {
    const list = [weekly, once];
    route('GET', '/api/v1/maintenance', (req) =>
      req.query.get('active') === 'true' ? list.filter((w) => w.active) : list,
    );
    route('POST', '/api/v1/maintenance', (req) =>
      req.body.recurrence?.days?.length
        ? (list.unshift({ ...weekly, ...req.body, id: 3, active: false }),
          { status: 201, json: { success: true, data: list[0] } })
        : failure([{ field: 'recurrence.days', message: 'is required for weekly windows' }]),
    );
    await act(() => render(<Maintenance query={new URLSearchParams()} />, root));
    await until(() => root.querySelector('[data-window="2"]'), 'the list');
    assert.equal(root.querySelector('#maint-active').textContent, '1 active now.');
    assert.match(
      root.querySelector('[data-window="1"]').textContent,
      /Active.*Patch night.*every week on sat, sun at 02:00 for 2h \(UTC\).*nodes: gw-1, #7 \(deleted\)/,
    );
    assert.match(root.querySelector('[data-window="2"]').textContent, /Scheduled.*Rack move.*\{site="lab"\}/);
    // Only the active ones.
    await act(() => check(root.querySelector('.field.check input'), true));
    await until(() => !root.querySelector('[data-window="2"]'), 'the active filter');
    assert.equal(
      calls
        .filter((c) => c.path === '/api/v1/maintenance')
        .pop()
        .query.get('active'),
      'true',
    );
    await act(() => check(root.querySelector('.field.check input'), false));
    await until(() => root.querySelector('[data-window="2"]'), 'all again');

    await act(() => button('New window').click());
    await act(() => input('#f-name', 'Backups'));
    await act(() => input('#f-node_ids', 'db-1'));
    await act(() => check(root.querySelector('input[name=schedule][value=recurring]'), true));
    await until(() => root.querySelector('#f-recurrence-start_time'), 'the recurrence fields');
    await act(() => input('#f-recurrence-start_time', '03:30'));
    await act(() => input('#f-recurrence-duration', '90m'));
    await act(() => input('#f-recurrence-time_zone', '+01:00'));
    const sunday = [...root.querySelectorAll('.days label')]
      .find((l) => l.textContent.trim() === 'sun')
      .querySelector('input');
    await act(() => check(sunday, false));
    await act(() => submit());
    await until(() => root.querySelector('#f-recurrence-days-err'), 'the days error');
    assert.equal(root.querySelector('#f-recurrence-days-err').textContent, 'is required for weekly windows');
    const tue = [...root.querySelectorAll('.days label')]
      .find((l) => l.textContent.trim() === 'tue')
      .querySelector('input');
    await act(() => check(tue, true));
    await act(() => submit());
    await until(() => root.querySelector('[data-window="3"]'), 'the new window');
    assert.deepEqual(calls.filter((c) => c.method === 'POST').pop().body, {
      name: 'Backups',
      comment: '',
      node_ids: [2],
      matchers: '',
      recurrence: { every: 'week', start_time: '03:30', duration: '90m', time_zone: '+01:00', days: ['tue'] },
    });
    assert.ok(text().includes('Window Backups created.'));
  });

  it('edits a one-off window by label, and deletes one', async () => {
    const list = [once];
    route('GET', '/api/v1/maintenance', () => list);
    route('PATCH', '/api/v1/maintenance/2', (req) => (list[0] = { ...once, ...req.body }));
    route('DELETE', '/api/v1/maintenance/2', () => {
      list.pop();
      return { status: 204, json: {} };
    });
    await act(() => render(<Maintenance query={new URLSearchParams()} />, root));
    await until(() => root.querySelector('[data-window="2"]'), 'the list');
    await act(() => button('Edit', root.querySelector('[data-window="2"]')).click());
    assert.equal(root.querySelector('#f-matchers').value, '{site="lab"}');
    assert.equal(root.querySelector('input[name=schedule][value=once]').checked, true);
    await act(() => input('#f-matchers', '{site="lab", rack="r1"}'));
    await act(() => submit());
    await until(() => text().includes('Window Rack move saved.'), 'the save');
    const body = calls.find((c) => c.method === 'PATCH').body;
    assert.equal(body.matchers, '{site="lab", rack="r1"}');
    assert.ok(body.starts_at && body.ends_at && !body.recurrence);
    await act(() => button('Delete', root.querySelector('[data-window="2"]')).click());
    await until(() => !root.querySelector('[data-window="2"]'), 'the deletion');
  });
});

describe('alerts in maintenance', () => {
  it('shows the windows that cover an alert', async () => {
    const a = {
      id: 1,
      rule_id: 1,
      rule_name: 'Down',
      severity: 'critical',
      state: 'firing',
      labels: { alertname: 'Down', node: 'gw-1' },
      annotations: {},
      value: 1,
      active_at: iso(Date.now()),
      acked: false,
      silenced: false,
      muted: true,
      maintenance: [{ id: 1, name: 'Patch night' }],
    };
    await act(() =>
      render(
        <ul>
          <AlertItem alert={a} onChange={() => {}} />
        </ul>,
        root,
      ),
    );
    assert.equal(root.querySelector('.chip.maint').textContent, 'maintenance: Patch night');
    await act(() =>
      render(
        <ul>
          <AlertItem alert={{ ...a, maintenance: [] }} onChange={() => {}} />
        </ul>,
        root,
      ),
    );
    assert.equal(root.querySelector('.chip.maint'), null);
  });
});
