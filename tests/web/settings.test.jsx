// Users, API tokens and the audit log against a fake server.
import { describe, it, beforeEach } from 'vitest';
import assert from 'node:assert/strict';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { route, reset, calls, until } from './fake_server.js';
import { Users, Tokens, Audit, Password, tokenState } from '../../web/src/pages/settings.jsx';
import { Session } from '../../web/src/session.jsx';

const admin = { user: 'root', role: 'admin' };
let root;
const input = (sel, value) => {
  const el = root.querySelector(sel);
  el.value = value;
  el.dispatchEvent(new Event('input', { bubbles: true }));
};
const submit = (sel) => root.querySelector(sel).dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
const button = (label, scope = root) => [...scope.querySelectorAll('button')].find((b) => b.textContent === label);
// Renders a page as signed in with `session`.
const show = (session, page) => act(() => render(<Session.Provider value={session}>{page}</Session.Provider>, root));
beforeEach(() => {
  reset();
  document.body.innerHTML = '<div id="root"></div>';
  root = document.getElementById('root');
  globalThis.confirm = () => true;
});

describe('users', () => {
  it('lists, adds and deletes users; one cannot delete oneself', async () => {
    const users = [{ id: 1, name: 'root', role: 'admin', created_at: new Date().toISOString() }];
    route('GET', '/api/v1/users', () => users);
    route('POST', '/api/v1/users', (req) => {
      const u = { id: 2, name: req.body.name, role: req.body.role, created_at: new Date().toISOString() };
      users.push(u);
      return { status: 201, json: { success: true, data: u } };
    });
    route('DELETE', '/api/v1/users/2', () => {
      users.pop();
      return { status: 204, json: {} };
    });
    await show(admin, <Users />);
    await until(() => root.querySelector('[data-user="root"]'), 'the list');
    assert.equal(button('Delete', root.querySelector('[data-user="root"]')), undefined);
    assert.deepEqual(
      [...root.querySelectorAll('.tabs a')].map((a) => a.textContent),
      ['Users', 'Password', 'API tokens', 'Wall screens', 'Configuration', 'SNMP trap users', 'Audit log'],
    );
    await act(() => input('#f-name', 'grafana'));
    await act(() => {
      const s = root.querySelector('#f-role');
      s.value = 'api';
      s.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await act(() => submit('form'));
    await until(() => root.querySelector('[data-user="grafana"]'), 'the new user');
    assert.deepEqual(calls.find((c) => c.method === 'POST').body, { name: 'grafana', role: 'api' });
    await act(() => button('Delete', root.querySelector('[data-user="grafana"]')).click());
    await until(() => !root.querySelector('[data-user="grafana"]'), 'the deletion');
  });
});

describe('roles and passwords', () => {
  it('changes a role from the list, and shows the last admin refused', async () => {
    const users = [
      { id: 1, name: 'root', role: 'admin', created_at: new Date().toISOString() },
      { id: 2, name: 'ola', role: 'viewer', created_at: new Date().toISOString() },
    ];
    route('GET', '/api/v1/users', () => users);
    route('PATCH', '/api/v1/users/', (req) => {
      const u = users.find((x) => `/api/v1/users/${x.id}` === req.path);
      if (u.name === 'root')
        return {
          status: 409,
          json: { success: false, error: { code: 'LAST_ADMIN', message: 'this is the last admin' } },
        };
      u.role = req.body.role;
      return u;
    });
    await show(admin, <Users />);
    await until(() => root.querySelector('[data-user="ola"]'), 'the list');
    const pick = (name, role) => {
      const s = root.querySelector(`select[aria-label="Role of ${name}"]`);
      s.value = role;
      s.dispatchEvent(new Event('change', { bubbles: true }));
    };
    await act(() => pick('ola', 'operator'));
    await until(() => root.textContent.includes('The role of ola is now operator.'), 'the notice');
    assert.deepEqual(calls.find((c) => c.method === 'PATCH').body, { role: 'operator' });
    await act(() => pick('root', 'viewer'));
    await until(() => root.querySelector('.error')?.textContent.includes('last admin'), 'the refusal');
    await until(() => root.querySelector('select[aria-label="Role of root"]').value === 'admin', 'the role kept');
  });

  it("changes one's own password with the current one", async () => {
    route('POST', '/api/v1/auth/password', (req) =>
      req.body.current_password === 'old-password'
        ? { status: 204, json: {} }
        : {
            status: 422,
            json: {
              success: false,
              error: {
                code: 'VALIDATION_FAILED',
                message: 'some fields are not valid',
                details: { fields: [{ field: 'current_password', message: 'is not your current password' }] },
              },
            },
          },
    );
    await act(() =>
      render(
        <Session.Provider value={{ user: 'ola', role: 'viewer' }}>
          <Password />
        </Session.Provider>,
        root,
      ),
    );
    const fill = async (current, next, confirm) => {
      await act(() => input('#f-current_password', current));
      await act(() => input('#f-new_password', next));
      await act(() => input('#f-confirm', confirm));
      await act(() => submit('form'));
    };
    await fill('old-password', 'new-password-1', 'new-password-2');
    await until(() => root.querySelector('#f-confirm-err'), 'the mismatch');
    assert.equal(calls.filter((c) => c.method === 'POST').length, 0);
    await fill('wrong', 'new-password-1', 'new-password-1');
    await until(() => root.querySelector('#f-current_password-err'), 'the wrong password');
    await fill('old-password', 'new-password-1', 'new-password-1');
    await until(() => root.textContent.includes('Your password has been changed.'), 'the change');
    assert.deepEqual(calls.filter((c) => c.method === 'POST').at(-1).body, {
      current_password: 'old-password',
      new_password: 'new-password-1',
    });
  });
});

describe('tokens', () => {
  it('shows a new token once and revokes tokens', async () => {
    const now = Date.now();
    const tokens = [
      {
        id: 1,
        user: 'ann',
        name: 'old',
        prefix: 'tt_ab',
        created_at: new Date(now).toISOString(),
        expires_at: null,
        last_used_at: null,
        revoked_at: null,
      },
    ];
    route('GET', '/api/v1/tokens', () => tokens);
    route('POST', '/api/v1/tokens', (req) => {
      const t = { ...tokens[0], id: 2, name: req.body.name, token: 'tt_secret' };
      tokens.push({ ...t, token: undefined });
      return { status: 201, json: { success: true, data: t } };
    });
    route('DELETE', '/api/v1/tokens/1', () => {
      tokens[0].revoked_at = new Date().toISOString();
      return { status: 204, json: {} };
    });
    await act(() =>
      render(
        <Session.Provider value={{ user: 'ann', role: 'operator' }}>
          <Tokens />
        </Session.Provider>,
        root,
      ),
    );
    await until(() => root.querySelector('[data-token="1"]'), 'the list');
    assert.deepEqual(
      [...root.querySelectorAll('.tabs a')].map((a) => a.textContent),
      ['Password', 'API tokens', 'Configuration', 'SNMP trap users'],
    );
    assert.equal(root.querySelector('#f-user'), null); // only admins make tokens for others
    await act(() => input('#f-name', 'ci'));
    await act(() => submit('form'));
    await until(() => root.querySelector('#new-token'), 'the token');
    assert.equal(root.querySelector('#new-token').textContent, 'tt_secret');
    assert.deepEqual(calls.find((c) => c.method === 'POST').body, { name: 'ci', expires_in: '90d' });
    await act(() => button('Revoke', root.querySelector('[data-token="1"]')).click());
    await until(() => root.querySelector('[data-token="1"]').textContent.includes('revoked'), 'the revocation');
    assert.equal(tokenState({ expires_at: new Date(now - 1).toISOString() }, now), 'expired');
    assert.equal(tokenState({ expires_at: null }, now), 'active');
  });
});

describe('audit log', () => {
  it('passes filters and pages to the API', async () => {
    route('GET', '/api/v1/audit', (req) => ({
      status: 200,
      json: {
        success: true,
        data: [
          {
            id: 9,
            at: new Date().toISOString(),
            actor: 'root',
            action: 'node.create',
            target: 'gw',
            remote: '127.0.0.1',
            details: { type: 'vm' },
          },
        ],
        pagination: {
          page: +req.query.get('page'),
          total_pages: 3,
          has_prev: req.query.get('page') !== '1',
          has_next: req.query.get('page') !== '3',
        },
      },
    }));
    history.replaceState(null, '', '/settings/audit?action=node.*&page=2');
    await act(() =>
      render(
        <Session.Provider value={admin}>
          <Audit query={new URLSearchParams(location.search)} />
        </Session.Provider>,
        root,
      ),
    );
    await until(() => root.querySelector('.audit'), 'the table');
    const req = calls.find((c) => c.path === '/api/v1/audit');
    assert.equal(req.query.get('action'), 'node.*');
    assert.equal(req.query.get('page'), '2');
    assert.ok(root.textContent.includes('Page 2 of 3'));
    assert.ok(root.querySelector('.audit').textContent.includes('{"type":"vm"}'));
    await act(() => button('Older').click());
    assert.equal(location.pathname + location.search, '/settings/audit?action=node.*&page=3');
  });
});
