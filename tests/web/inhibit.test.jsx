// Inhibit rules against a fake server: the list, create (a 422 shown at its field), edit,
// delete, the list read again on inhibit_rule.* events, and read-only for viewers.
import { describe, it, beforeAll, afterAll, beforeEach, afterEach } from 'vitest';
import assert from 'node:assert/strict';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { route, reset, calls, sockets, until, startLive } from './fake_server.js';
import { start, stop } from '../../web/src/live.js';
import { InhibitRules, inhibitBody, inhibitValues } from '../../web/src/pages/inhibit.jsx';
import { labelNames } from '../../web/src/ui.jsx';
import { Session } from '../../web/src/session.jsx';

const iso = () => new Date().toISOString();
const rule = (extra = {}) => ({
  id: 1,
  name: 'site-down-mutes-warnings',
  comment: 'one message per outage',
  source: '{alertname="SiteDown"}',
  target: '{severity="warning"}',
  equal: ['node'],
  created_by: 'ann',
  created_at: iso(),
  updated_at: iso(),
  ...extra,
});
const failure = (fields) => ({
  status: 422,
  json: { success: false, error: { code: 'VALIDATION_FAILED', message: 'invalid inhibit rule', details: { fields } } },
});
const OPERATOR = { user: 'ann', role: 'operator' };

let root;
const text = () => root.textContent;
const input = (sel, value) => {
  const el = root.querySelector(sel);
  el.value = value;
  el.dispatchEvent(new Event('input', { bubbles: true }));
};
const submit = () => root.querySelector('form').dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
const button = (label, scope = root) => [...scope.querySelectorAll('button')].find((b) => b.textContent === label);
let nextEvent = 50;
const event = (kind, r) =>
  act(() =>
    sockets[0].receive({
      type: 'event',
      topic: 'events',
      data: { id: nextEvent++, topic: 'alerts', kind, subject: String(r.id), at: iso(), data: { inhibit_rule: r } },
    }),
  );

// The live link the page's event handler listens on.
beforeAll(() => startLive(start));
afterAll(() => stop());
beforeEach(() => {
  reset();
  document.body.innerHTML = '<div id="root"></div>';
  root = document.getElementById('root');
  globalThis.confirm = () => true;
});
afterEach(() => render(null, root));

describe('inhibit rule logic', () => {
  it('turns a rule into form values and back', () => {
    assert.deepEqual(labelNames(' node, site  rack,,'), ['node', 'site', 'rack']);
    const v = inhibitValues(rule({ equal: ['node', 'site'] }));
    assert.equal(v.equal, 'node, site');
    assert.deepEqual(inhibitBody({ ...v, name: ' x ', equal: '' }), {
      name: 'x',
      comment: 'one message per outage',
      source: '{alertname="SiteDown"}',
      target: '{severity="warning"}',
      equal: [],
    });
  });
});

describe('inhibit rules page', () => {
  it('lists the rules and creates one, a 422 shown at its field', async () => {
    const list = [rule()];
    route('GET', '/api/v1/inhibit-rules', () => list);
    route('POST', '/api/v1/inhibit-rules', (req) =>
      req.body.source.startsWith('{')
        ? (list.unshift(rule({ ...req.body, id: 2 })), { status: 201, json: { success: true, data: list[0] } })
        : failure([{ field: 'source', message: '1:1: expected a selector' }]),
    );
    await act(() =>
      render(
        <Session.Provider value={OPERATOR}>
          <InhibitRules />
        </Session.Provider>,
        root,
      ),
    );
    await until(() => root.querySelector('[data-inhibit="1"]'), 'the list');
    assert.match(
      root.querySelector('[data-inhibit="1"]').textContent,
      /site-down-mutes-warnings.*one message per outage.*ann.*\{alertname="SiteDown"\}.*\{severity="warning"\}.*node/,
    );
    assert.equal(document.title, 'Inhibit rules · Telltale');

    await act(() => button('New inhibit rule').click());
    assert.equal(button('New inhibit rule'), undefined, 'one form at a time');
    await act(() => input('#f-name', 'core-down'));
    await act(() => input('#f-source', 'alertname="CoreDown"'));
    await act(() => input('#f-target', '{site="lab"}'));
    await act(() => input('#f-equal', 'site, rack'));
    await act(() => submit());
    await until(() => root.querySelector('#f-source-err'), 'the source error');
    assert.equal(root.querySelector('#f-source-err').textContent, '1:1: expected a selector');
    assert.equal(root.querySelector('#f-source').getAttribute('aria-invalid'), 'true');
    assert.equal(root.querySelector('.form-error').textContent, 'Please correct the highlighted fields.');
    await act(() => input('#f-source', '{alertname="CoreDown"}'));
    assert.equal(root.querySelector('#f-source-err'), null, 'the error goes when the field changes');
    await act(() => submit());
    await until(() => root.querySelector('[data-inhibit="2"]'), 'the new rule');
    assert.deepEqual(calls.filter((c) => c.method === 'POST').pop().body, {
      name: 'core-down',
      comment: '',
      source: '{alertname="CoreDown"}',
      target: '{site="lab"}',
      equal: ['site', 'rack'],
    });
    assert.ok(text().includes('Inhibit rule core-down created.'));
    assert.equal(root.querySelector('form'), null);
  });

  it('edits a rule, with the server’s 422 at the field, and deletes one', async () => {
    const list = [rule()];
    route('GET', '/api/v1/inhibit-rules', () => list);
    route('PATCH', '/api/v1/inhibit-rules/1', (req) =>
      req.body.equal.every((l) => /^[a-z_]+$/.test(l))
        ? (list[0] = { ...list[0], ...req.body })
        : failure([{ field: 'equal', message: 'must be a list of at most 32 label names' }]),
    );
    route('DELETE', '/api/v1/inhibit-rules/1', () => {
      list.pop();
      return { status: 204, json: {} };
    });
    await act(() =>
      render(
        <Session.Provider value={OPERATOR}>
          <InhibitRules />
        </Session.Provider>,
        root,
      ),
    );
    await until(() => root.querySelector('[data-inhibit="1"]'), 'the list');
    await act(() => button('Edit', root.querySelector('[data-inhibit="1"]')).click());
    assert.equal(root.querySelector('#inhibit-form-title').textContent, 'Edit site-down-mutes-warnings');
    assert.equal(root.querySelector('#f-source').value, '{alertname="SiteDown"}');
    assert.equal(root.querySelector('#f-equal').value, 'node');
    await act(() => input('#f-equal', 'node, 9lives'));
    await act(() => submit());
    await until(() => root.querySelector('#f-equal-err'), 'the equal error');
    assert.equal(root.querySelector('#f-equal-err').textContent, 'must be a list of at most 32 label names');
    await act(() => input('#f-equal', 'node, site'));
    await act(() => input('#f-target', '{severity=~"warning|info"}'));
    await act(() => submit());
    await until(() => text().includes('Inhibit rule site-down-mutes-warnings saved.'), 'the save');
    assert.deepEqual(calls.filter((c) => c.method === 'PATCH').pop().body, {
      name: 'site-down-mutes-warnings',
      comment: 'one message per outage',
      source: '{alertname="SiteDown"}',
      target: '{severity=~"warning|info"}',
      equal: ['node', 'site'],
    });
    await until(
      () => /warning\|info/.test(root.querySelector('[data-inhibit="1"]').textContent),
      'the saved target listed',
    );

    await act(() => button('Delete', root.querySelector('[data-inhibit="1"]')).click());
    await until(() => !root.querySelector('[data-inhibit="1"]'), 'the deletion');
    assert.ok(calls.some((c) => c.method === 'DELETE' && c.path === '/api/v1/inhibit-rules/1'));
    assert.ok(text().includes('Inhibit rule site-down-mutes-warnings deleted.'));
    assert.ok(text().includes('No inhibit rules'));
  });

  it('reads the list again on inhibit_rule events, keeping an open form as typed', async () => {
    const list = [];
    route('GET', '/api/v1/inhibit-rules', () => list);
    await act(() =>
      render(
        <Session.Provider value={OPERATOR}>
          <InhibitRules />
        </Session.Provider>,
        root,
      ),
    );
    await until(() => text().includes('No inhibit rules'), 'the empty list');
    await act(() => button('New inhibit rule').click());
    await act(() => input('#f-name', 'half-typed'));
    // Made elsewhere (another browser, the API): listed without a reload.
    list.push(rule({ id: 7, name: 'from-elsewhere' }));
    await event('inhibit_rule.created', list[0]);
    await until(() => root.querySelector('[data-inhibit="7"]'), 'the rule made elsewhere');
    assert.equal(root.querySelector('#f-name').value, 'half-typed');
    list[0] = { ...list[0], target: '{severity="info"}' };
    await event('inhibit_rule.updated', list[0]);
    await until(() => /severity="info"/.test(root.querySelector('[data-inhibit="7"]').textContent), 'the update');
    list.pop();
    await event('inhibit_rule.deleted', rule({ id: 7 }));
    await until(() => !root.querySelector('[data-inhibit="7"]'), 'the deletion');
    // Other events do not reread it.
    const reads = calls.filter((c) => c.path === '/api/v1/inhibit-rules').length;
    await act(() =>
      sockets[0].receive({
        type: 'event',
        topic: 'events',
        data: { id: nextEvent++, topic: 'alerts', kind: 'silence.created', at: iso(), data: { silence: { id: 1 } } },
      }),
    );
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(calls.filter((c) => c.path === '/api/v1/inhibit-rules').length, reads);
  });

  it('is read-only for viewers', async () => {
    route('GET', '/api/v1/inhibit-rules', [rule()]);
    await act(() =>
      render(
        <Session.Provider value={{ user: 'val', role: 'viewer' }}>
          <InhibitRules />
        </Session.Provider>,
        root,
      ),
    );
    await until(() => root.querySelector('[data-inhibit="1"]'), 'the list');
    assert.equal(root.querySelectorAll('button').length, 0);
    assert.ok(text().includes('Viewers can read these rules'));
  });
});
