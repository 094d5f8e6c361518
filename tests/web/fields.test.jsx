// The resources' field tables (GET /api/v1/fields): a page's choice list is the served table's,
// and the tables are asked once.
import { it } from 'vitest';
import assert from 'node:assert/strict';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { route, calls, until, FIELDS } from './fake_server.js';
import { RuleEditor } from '../../web/src/pages/rules.jsx';

it("lists the severities of the served rule table in the rule editor's select", async () => {
  const severity = { ...FIELDS['alert-rules'][0], choices: ['critical', 'warning', 'info', 'page'] };
  route('GET', '/api/v1/fields', { ...FIELDS, 'alert-rules': [severity] });
  route('GET', '/api/v1/checks', []);
  route('GET', '/api/v1/channels', []);
  document.body.innerHTML = '<div id="root"></div>';
  const root = document.getElementById('root');
  const options = () => [...root.querySelectorAll('#f-severity option')];

  await act(() => render(<RuleEditor />, root));
  await until(() => options().length === 4, 'the served severities');
  assert.deepEqual(
    options().map((o) => [o.value, o.textContent]),
    [
      ['critical', 'Critical'],
      ['warning', 'Warning'],
      ['info', 'Info'],
      ['page', 'Page'],
    ],
  );
  assert.equal(root.querySelector('#f-severity').value, 'warning');

  await act(() => render(null, root));
  await act(() => render(<RuleEditor />, root));
  await until(() => options().length === 4, 'the severities again');
  assert.equal(calls.filter((c) => c.path === '/api/v1/fields').length, 1);
});
