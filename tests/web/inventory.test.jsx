// The inventory pages against a fake server: the node editor (the server's 409 and 422 at their
// fields, the PATCH body, deleting), SNMP discovery (the body for v2c and v3, the busy state,
// what was found, the interfaces check, errors with what to do about them) and the SNMPv3 trap
// users (listed without their passphrases, created, edited, deleted; read-only for viewers).
import { describe, it, beforeAll, afterAll, beforeEach, afterEach } from 'vitest';
import assert from 'node:assert/strict';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { route, reset, calls, until, startLive, FIELDS } from './fake_server.js';
import { start, stop } from '../../web/src/live.js';
import { Session } from '../../web/src/session.jsx';
import { NodeEditor, nodeBody, nodeValues } from '../../web/src/pages/node_editor.jsx';
import { Discover, discoveryBody, interfacesCheck, emptyDiscovery, upFor } from '../../web/src/pages/discover.jsx';
import { TrapUsers, trapUserBody, trapUserValues } from '../../web/src/pages/trap_users.jsx';

const OPERATOR = { user: 'ann', role: 'operator' };
const VIEWER = { user: 'vic', role: 'viewer' };
const iso = () => new Date().toISOString();
const failure = (status, code, message, fields = []) => ({
  status,
  json: { success: false, error: { code, message, details: { fields } } },
});

let root;
const text = () => root.textContent;
const $ = (sel) => root.querySelector(sel);
const input = (sel, value) => {
  const el = $(sel);
  el.value = value;
  el.dispatchEvent(new Event('input', { bubbles: true }));
};
const submit = () => $('form').dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
const button = (label, scope = root) => [...scope.querySelectorAll('button')].find((b) => b.textContent === label);
const show = (page, session = OPERATOR) =>
  act(() => render(<Session.Provider value={session}>{page}</Session.Provider>, root));
const lastCall = (method) => calls.filter((c) => c.method === method).pop();
// A resource that has a `status` field of its own, answered as the server does.
const ok = (data, status = 200) => ({ status, json: { success: true, data } });
// The field tables the pages read (asked once per test file: every test routes them all).
const USM = [
  { name: 'auth_protocol', type: 'choice', choices: ['md5', 'sha256'] },
  { name: 'priv_protocol', type: 'choice', choices: ['aes'] },
];
const TABLES = { ...FIELDS, 'discover/snmp': USM, 'snmp/trap-users': USM };

beforeAll(() => startLive(start));
afterAll(() => stop());
beforeEach(() => {
  reset();
  history.replaceState(null, '', '/');
  document.body.innerHTML = '<div id="root"></div>';
  root = document.getElementById('root');
  globalThis.confirm = () => true;
  route('GET', '/api/v1/fields', TABLES);
});
afterEach(() => render(null, root));

const storedNode = (extra = {}) => ({
  id: 1,
  name: 'db-1',
  type: 'vm',
  address: '10.0.0.9',
  labels: { env: 'test' },
  location: null,
  status: 'up',
  ...extra,
});

describe('node editor', () => {
  it('turns a node into form values and back, checking the location', () => {
    const v = nodeValues(storedNode({ location: { lat: 52.37, lon: 4.89, place: 'Amsterdam' } }));
    assert.deepEqual(v.labels, [['env', 'test']]);
    assert.deepEqual(nodeBody(v), {
      name: 'db-1',
      type: 'vm',
      address: '10.0.0.9',
      labels: { env: 'test' },
      location: { lat: 52.37, lon: 4.89, place: 'Amsterdam' },
    });
    const none = { ...v, 'location.lat': '', 'location.lon': '', 'location.place': '' };
    assert.equal(nodeBody(none).location, null, 'no coordinates: no location');
    assert.throws(
      () => nodeBody({ ...none, 'location.lat': '52', 'location.place': 'x' }),
      (e) => e.fields.map((f) => f.field).join() === 'location.lon',
    );
    assert.throws(
      () => nodeBody({ ...none, 'location.place': 'Amsterdam' }),
      (e) => e.fields[0].field === 'location.place',
    );
  });

  it('edits a node: a taken name and a bad latitude at their fields, then saved and back on its page', async () => {
    route('GET', '/api/v1/nodes/1', ok(storedNode()));
    route('PATCH', '/api/v1/nodes/1', (req) => {
      if (req.body.name === 'taken') return failure(409, 'NODE_EXISTS', "a node named 'taken' already exists");
      if (req.body.location?.lat > 90)
        return failure(422, 'VALIDATION_FAILED', 'invalid node', [
          { field: 'location.lat', message: 'must be a number from -90 to 90' },
        ]);
      return ok(storedNode(req.body));
    });
    history.replaceState(null, '', '/nodes/1/edit');
    await show(<NodeEditor id={1} />);
    await until(() => $('#f-name')?.value === 'db-1', 'the node in the form');
    await until(() => document.title === 'Edit db-1 · Telltale', 'the title');
    assert.equal($('#f-address').value, '10.0.0.9');

    await act(() => input('#f-name', 'taken'));
    await act(() => submit());
    await until(() => $('#f-name-err'), 'the name error');
    assert.equal($('#f-name-err').textContent, "a node named 'taken' already exists");
    assert.equal($('#f-name').getAttribute('aria-invalid'), 'true');

    await act(() => input('#f-name', 'db-2'));
    await act(() => input('#f-location-lat', '95'));
    await act(() => input('#f-location-lon', '4.89'));
    await act(() => submit());
    await until(() => $('#f-location-lat-err'), 'the latitude error');
    assert.equal($('#f-location-lat-err').textContent, 'must be a number from -90 to 90');

    await act(() => input('#f-location-lat', '52.37'));
    await act(() => input('#f-address', ' 10.0.0.10 '));
    await act(() => submit());
    await until(() => location.pathname === '/nodes/1', 'the node page');
    assert.deepEqual(lastCall('PATCH').body, {
      name: 'db-2',
      type: 'vm',
      address: '10.0.0.10',
      labels: { env: 'test' },
      location: { lat: 52.37, lon: 4.89, place: null },
    });
  });

  it('deletes the node after asking', async () => {
    route('GET', '/api/v1/nodes/1', ok(storedNode()));
    route('DELETE', '/api/v1/nodes/1', { status: 204, json: {} });
    let asked = '';
    globalThis.confirm = (q) => ((asked = q), true);
    await show(<NodeEditor id={1} />);
    await until(() => button('Delete node'), 'the form');
    await act(() => button('Delete node').click());
    await until(() => location.pathname === '/', 'the overview');
    assert.match(asked, /Delete node “db-1”/);
    assert.ok(calls.some((c) => c.method === 'DELETE' && c.path === '/api/v1/nodes/1'));
  });

  it('offers viewers no save or delete, and says when the node is gone', async () => {
    route('GET', '/api/v1/nodes/1', ok(storedNode()));
    await show(<NodeEditor id={1} />, VIEWER);
    await until(() => $('#f-name'), 'the form');
    assert.equal(button('Save'), undefined);
    assert.equal(button('Delete node'), undefined);
    render(null, root);
    route('GET', '/api/v1/nodes/1', failure(404, 'NODE_NOT_FOUND', 'no node 1'));
    await show(<NodeEditor id={1} />);
    await until(() => text().includes('This node does not exist'), 'the error');
  });
});

const FOUND = {
  system: { name: 'sw-1', descr: 'Switch OS 1.0', contact: 'noc', location: 'Rack 7', uptime: 93784, object_id: '1.3' },
  interfaces: [
    {
      index: 1,
      name: 'lo',
      descr: 'lo',
      alias: null,
      speed_bps: 10e6,
      mac: null,
      admin_status: 'up',
      oper_status: 'up',
    },
    {
      index: 2,
      name: 'eth0',
      descr: 'eth0',
      alias: 'uplink',
      speed_bps: 1e9,
      mac: '02:00:00:00:00:01',
      admin_status: 'up',
      oper_status: 'down',
    },
  ],
  node: { id: 7, name: 'sw-1', type: 'network', address: '192.0.2.1' },
  node_created: true,
};

describe('SNMP discovery', () => {
  it('builds the bodies of v2c and v3 scans and of the interfaces check', () => {
    const v2 = { ...emptyDiscovery(), address: ' 192.0.2.1:1161 ', community: 'lab' };
    assert.deepEqual(discoveryBody(v2), {
      address: '192.0.2.1:1161',
      version: '2c',
      community: 'lab',
      create_node: true,
    });
    const v3 = {
      ...v2,
      version: '3',
      user: ' ops ',
      auth_protocol: 'sha256',
      auth_password: 'secret-auth',
      priv_protocol: 'aes',
      priv_password: 'secret-priv',
      context: 'ctx',
      timeout: '500ms',
    };
    assert.deepEqual(discoveryBody(v3), {
      address: '192.0.2.1:1161',
      version: '3',
      user: 'ops',
      auth_protocol: 'sha256',
      auth_password: 'secret-auth',
      priv_protocol: 'aes',
      priv_password: 'secret-priv',
      context: 'ctx',
      create_node: true,
      timeout: '500ms',
    });
    // Privacy without authentication is not sent: USM has none.
    assert.equal(discoveryBody({ ...v3, auth_protocol: '' }).priv_protocol, undefined);
    assert.deepEqual(interfacesCheck(v2, FOUND.node), {
      name: 'sw-1 interfaces',
      kind: 'snmp',
      target: '192.0.2.1:1161',
      node_id: 7,
      options: { version: '2c', community: 'lab', interfaces: true },
    });
    assert.equal(upFor(93784), '1 d 2 h');
    assert.equal(upFor(40), '40 s');
  });

  it('scans with a busy state, shows the node, its interfaces and the check made', async () => {
    route('POST', '/api/v1/discover/snmp', FOUND);
    route('GET', '/api/v1/checks', []);
    route('POST', '/api/v1/checks', (req) => ({ status: 201, json: { success: true, data: { ...req.body, id: 9 } } }));
    await show(<Discover />);
    assert.equal($('#f-community').value, 'public', 'v2c with "public" by default');
    assert.equal($('#f-user'), null);
    await act(() => input('#f-address', '192.0.2.1'));
    // The scan waits for the server: the button says so.
    const real = globalThis.fetch;
    let release;
    const gate = new Promise((r) => (release = r));
    globalThis.fetch = async (...args) => (await gate, real(...args));
    try {
      await act(() => submit());
      await until(() => button('Scanning…')?.disabled, 'the busy state');
      assert.ok(text().includes('Scanning 192.0.2.1…'));
      release();
    } finally {
      globalThis.fetch = real;
    }
    await until(() => $('.discovered'), 'what was found');
    assert.equal(button('Scan').disabled, false);
    assert.deepEqual(calls.find((c) => c.path === '/api/v1/discover/snmp').body, {
      address: '192.0.2.1',
      version: '2c',
      community: 'public',
      create_node: true,
    });
    const found = $('.discovered');
    assert.match(found.textContent, /Found sw-1.*Node sw-1 created\..*Check sw-1 interfaces created/);
    assert.equal(found.querySelector('a[href="/nodes/7"]').textContent, 'sw-1');
    assert.equal(found.querySelector('a[href="/checks/9"]').textContent, 'sw-1 interfaces');
    assert.match(found.textContent, /Switch OS 1\.0.*Rack 7.*1 d 2 h/);
    assert.match(
      found.querySelector('tr[data-interface="eth0"]').textContent,
      /eth0eth0 · uplink1 Gbit\/s02:00:00:00:00:01updown/,
    );
    assert.equal(found.querySelectorAll('tbody tr').length, 2);
    assert.equal(lastCall('POST').body.options.interfaces, true);
  });

  it('makes no second check when one polls the interfaces already', async () => {
    route('POST', '/api/v1/discover/snmp', { ...FOUND, node_created: false });
    route('GET', '/api/v1/checks', [{ id: 3, name: 'sw-1 poll', kind: 'snmp', options: { interfaces: true } }]);
    await show(<Discover />);
    await act(() => input('#f-address', '192.0.2.1'));
    await act(() => submit());
    await until(() => $('.discovered'), 'what was found');
    assert.match(text(), /Node sw-1 updated\..*polled by the check sw-1 poll already/);
    assert.equal(lastCall('POST').path, '/api/v1/discover/snmp');
  });

  it('asks v3 for its user and shows the server’s errors: a field at its field, a timeout with a hint', async () => {
    route('POST', '/api/v1/discover/snmp', (req) =>
      req.body.version === '3'
        ? failure(422, 'SNMP_WRONG_DIGEST', 'the agent refused the digest', [
            { field: 'auth_password', message: 'the agent refused the digest' },
          ])
        : failure(504, 'SNMP_TIMEOUT', 'no answer from 192.0.2.1:161 after 2 tries.'),
    );
    await show(<Discover />);
    await act(() => input('#f-address', '192.0.2.1'));
    await act(() => submit());
    await until(() => $('.form-error'), 'the timeout');
    assert.match(
      $('.form-error').textContent,
      /^no answer from 192\.0\.2\.1:161 after 2 tries\. Nothing answered: check/,
    );

    await act(() => input('#f-version', '3'));
    assert.equal($('#f-community'), null);
    assert.ok($('#f-user'));
    await until(() => $('#f-auth_protocol').options.length === 3, 'the protocols');
    assert.deepEqual(
      [...$('#f-auth_protocol').options].map((o) => o.textContent),
      ['None', 'MD5', 'SHA-256'],
    );
    assert.equal($('#f-auth_password'), null, 'no passphrase without a protocol');
    await act(() => input('#f-user', 'ops'));
    await act(() => input('#f-auth_protocol', 'sha256'));
    await act(() => input('#f-auth_password', 'not-the-one'));
    assert.equal($('#f-auth_password').type, 'password');
    await act(() => submit());
    await until(() => $('#f-auth_password-err'), 'the passphrase error');
    assert.equal($('#f-auth_password-err').textContent, 'the agent refused the digest');
    assert.equal(
      [...root.querySelectorAll('label')].map((l) => l.textContent).find((l) => /passphrase/.test(l)),
      'Authentication passphrase',
    );
  });
});

const trapUser = (extra = {}) => ({
  id: 1,
  user: 'alice',
  engine_id: '80001f8880aabbccdd',
  auth_protocol: 'sha256',
  auth_password: '********',
  priv_protocol: 'aes',
  priv_password: '********',
  created_at: iso(),
  updated_at: iso(),
  ...extra,
});

describe('SNMP trap users', () => {
  it('turns a user into form values and bodies: passphrases only when typed, removals as null', () => {
    const v = trapUserValues(trapUser());
    assert.deepEqual(v, {
      user: 'alice',
      engine_id: '80001f8880aabbccdd',
      auth_protocol: 'sha256',
      auth_password: '',
      priv_protocol: 'aes',
      priv_password: '',
    });
    assert.deepEqual(trapUserBody(v, trapUser()), {
      user: 'alice',
      auth_protocol: 'sha256',
      priv_protocol: 'aes',
      engine_id: '80001f8880aabbccdd',
    });
    assert.deepEqual(trapUserBody({ ...v, priv_protocol: '' }, trapUser()), {
      user: 'alice',
      auth_protocol: 'sha256',
      priv_protocol: null,
      priv_password: null,
      engine_id: '80001f8880aabbccdd',
    });
    assert.deepEqual(trapUserBody({ ...trapUserValues(), user: 'bob', engine_id: '0x8000000001' }), {
      user: 'bob',
      engine_id: '0x8000000001',
    });
  });

  it('lists the users without passphrases, shows the engine id, adds, edits and deletes', async () => {
    const list = [trapUser()];
    route('GET', '/api/v1/snmp/engine', { engine_id: '8000000005deadbeef', boots: 3 });
    route('GET', '/api/v1/snmp/trap-users', () => list);
    route('POST', '/api/v1/snmp/trap-users', (req) =>
      req.body.user === 'alice'
        ? failure(409, 'TRAP_USER_EXISTS', 'a trap user alice of that engine exists')
        : req.body.auth_password
          ? (list.push(trapUser({ ...req.body, id: 2, priv_protocol: 'none', priv_password: null })),
            { status: 201, json: { success: true, data: list[1] } })
          : failure(422, 'VALIDATION_FAILED', 'invalid SNMP trap user', [
              { field: 'auth_password', message: 'is required with the other' },
            ]),
    );
    route('PATCH', '/api/v1/snmp/trap-users/1', (req) => (list[0] = trapUser({ ...req.body, priv_protocol: 'none' })));
    route('DELETE', '/api/v1/snmp/trap-users/1', () => (list.shift(), { status: 204, json: {} }));
    await show(<TrapUsers />);
    await until(() => $('[data-trap-user="alice"]'), 'the list');
    assert.match($('[data-trap-user="alice"]').textContent, /alice80001f8880aabbccddSHA-256 \+ AES-128/);
    assert.ok(!text().includes('********'), 'no masked passphrase shown');
    await until(() => $('#engine-id'), 'the engine id');
    assert.equal($('#engine-id').textContent, '8000000005deadbeef');
    assert.ok(button('Copy'));
    assert.equal(document.title, 'SNMP trap users · Telltale');
    assert.equal(root.querySelector('nav.tabs [aria-current="page"]').textContent, 'SNMP trap users');

    await act(() => button('New trap user').click());
    await act(() => button('Use Telltale’s engine id (informs)').click());
    assert.equal($('#f-engine_id').value, '8000000005deadbeef');
    await act(() => input('#f-user', 'bob'));
    await act(() => input('#f-auth_protocol', 'md5'));
    await act(() => submit());
    await until(() => $('#f-auth_password-err'), 'the passphrase error');
    await act(() => input('#f-auth_password', 'bob-secret-1'));
    await act(() => input('#f-user', 'alice'));
    await act(() => submit());
    await until(() => $('#f-user-err'), 'the conflict at the user name');
    assert.equal($('#f-user-err').textContent, 'a trap user alice of that engine exists');
    await act(() => input('#f-user', 'bob'));
    await act(() => submit());
    await until(() => $('[data-trap-user="bob"]'), 'the new user');
    assert.deepEqual(lastCall('POST').body, {
      user: 'bob',
      auth_protocol: 'md5',
      auth_password: 'bob-secret-1',
      engine_id: '8000000005deadbeef',
    });
    assert.ok(text().includes('Trap user bob added.'));
    assert.ok(!text().includes('bob-secret-1'));

    await act(() => button('Edit', $('[data-trap-user="alice"]')).click());
    assert.equal($('#f-user').value, 'alice');
    assert.equal($('#f-auth_password').value, '', 'passphrases start empty');
    assert.match($('#f-auth_password').closest('.field').textContent, /Empty: keep the stored one/);
    await act(() => input('#f-priv_protocol', ''));
    await act(() => submit());
    await until(() => text().includes('Trap user alice saved.'), 'the save');
    assert.deepEqual(lastCall('PATCH').body, {
      user: 'alice',
      auth_protocol: 'sha256',
      priv_protocol: null,
      priv_password: null,
      engine_id: '80001f8880aabbccdd',
    });
    await until(() => /SHA-256, no privacy/.test($('[data-trap-user="alice"]').textContent), 'the saved user');

    await act(() => button('Delete', $('[data-trap-user="alice"]')).click());
    await until(() => !$('[data-trap-user="alice"]'), 'the deletion');
    assert.ok(text().includes('Trap user alice deleted.'));
  });

  it('lets viewers read only', async () => {
    route('GET', '/api/v1/snmp/engine', { engine_id: '8000000005deadbeef', boots: 3 });
    route('GET', '/api/v1/snmp/trap-users', [trapUser()]);
    await show(<TrapUsers />, VIEWER);
    await until(() => $('[data-trap-user="alice"]'), 'the list');
    assert.equal(button('New trap user'), undefined);
    assert.equal(button('Edit', $('[data-trap-user="alice"]')), undefined);
  });
});
