// The rule editor's escalation steps: shown from the rule, added, edited and removed, sent as
// the API's `escalations`, and the server's 422 details shown at the step's delay or channels.
import { describe, it, beforeEach, afterEach } from 'vitest';
import assert from 'node:assert/strict';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { route, reset, calls, until } from './fake_server.js';
import { RuleEditor, ruleBody, MAX_ESCALATION_STEPS } from '../../web/src/pages/rules.jsx';

const now = () => new Date().toISOString();
const channels = [
  { id: 5, name: 'ops-hook', kind: 'webhook', config: {}, created_at: now(), updated_at: now() },
  { id: 6, name: 'pager', kind: 'pagerduty', config: {}, created_at: now(), updated_at: now() },
];
const rule = (extra = {}) => ({
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
  escalations: [],
  enabled: true,
  ...extra,
});
const failure = (fields) => ({
  status: 422,
  json: { success: false, error: { code: 'VALIDATION_FAILED', message: 'invalid alert rule', details: { fields } } },
});

let root;
const steps = () => [...root.querySelectorAll('fieldset.step')];
const button = (label, within = root) => [...within.querySelectorAll('button')].find((b) => b.textContent === label);
const input = (el, value) => {
  el.value = value;
  el.dispatchEvent(new Event('input', { bubbles: true }));
};
const tick = (el, on) => {
  el.checked = on;
  el.dispatchEvent(new Event('change', { bubbles: true }));
};
const box = (step, name) =>
  [...step.querySelectorAll('input[type=checkbox]')].find((b) => b.parentElement.textContent.includes(name));
const submit = () => root.querySelector('form').dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
const patches = () => calls.filter((c) => c.method === 'PATCH');

beforeEach(() => {
  reset();
  document.body.innerHTML = '<div id="root"></div>';
  root = document.getElementById('root');
  route('GET', '/api/v1/checks', []);
  route('GET', '/api/v1/channels', channels);
});
afterEach(() => render(null, root));

describe('escalation steps', () => {
  it('turns the form\u2019s steps into the API\u2019s, ids as numbers', () => {
    const v = {
      name: 'R',
      kind: 'expr',
      expr: 'up == 0',
      severity: 'warning',
      enabled: true,
      channels: ['5'],
      for: '',
      keep_firing_for: '',
      interval: '',
      labels: '',
      annotations: '',
      escalations: [
        { after: ' 15m ', channels: ['6'] },
        { after: '1h', channels: ['5', '6'] },
      ],
    };
    assert.deepEqual(ruleBody(v).escalations, [
      { after: '15m', channels: [6] },
      { after: '1h', channels: [5, 6] },
    ]);
    assert.deepEqual(ruleBody({ ...v, escalations: [] }).escalations, []);
  });

  it('shows a rule\u2019s steps, adds, edits and removes steps, and saves them', async () => {
    route('GET', '/api/v1/alert-rules/3', rule({ escalations: [{ after: '15m', channels: [6] }] }));
    route('PATCH', '/api/v1/alert-rules/3', (req) => rule({ escalations: req.body.escalations }));
    await act(() => render(<RuleEditor id={3} />, root));
    await until(() => steps().length === 1 && box(steps()[0], 'pager'), 'the stored step');
    assert.equal(root.querySelector('#f-escalations-0--after').value, '15m');
    assert.equal(box(steps()[0], 'pager').checked, true);
    assert.equal(box(steps()[0], 'ops-hook').checked, false);

    await act(() => button('Add escalation step').click());
    assert.equal(steps().length, 2);
    assert.equal(root.querySelector('#f-escalations-1--after').value, '');
    await act(() => input(root.querySelector('#f-escalations-1--after'), '1h'));
    await act(() => tick(box(steps()[1], 'ops-hook'), true));
    await act(() => tick(box(steps()[1], 'pager'), true));
    await act(() => tick(box(steps()[1], 'pager'), false));
    // The first step goes: the second becomes step 1 with its values.
    await act(() => root.querySelector('[aria-label="Remove step 1"]').click());
    assert.equal(steps().length, 1);
    assert.equal(steps()[0].querySelector('legend').textContent, 'Step 1');
    assert.equal(root.querySelector('#f-escalations-0--after').value, '1h');
    assert.equal(box(steps()[0], 'ops-hook').checked, true);
    await act(() => submit());
    await until(() => root.textContent.includes('Saved.'), 'the save');
    assert.deepEqual(patches()[0].body.escalations, [{ after: '1h', channels: [5] }]);

    // All steps removed: sent as an empty list, which clears them.
    await act(() => root.querySelector('[aria-label="Remove step 1"]').click());
    await act(() => submit());
    await until(() => patches().length === 2, 'the second save');
    assert.deepEqual(patches()[1].body.escalations, []);
  });

  it('shows the server\u2019s errors at the step\u2019s delay and channels, and clears one when it is edited', async () => {
    route('GET', '/api/v1/alert-rules/3', rule({ escalations: [{ after: '30m', channels: [6] }] }));
    route(
      'PATCH',
      '/api/v1/alert-rules/3',
      failure([
        { field: 'escalations[1].after', message: 'must be later than the step before' },
        { field: 'escalations[0].channels', message: 'channel 6 does not exist' },
      ]),
    );
    await act(() => render(<RuleEditor id={3} />, root));
    await until(() => steps().length === 1, 'the stored step');
    await act(() => button('Add escalation step').click());
    await act(() => input(root.querySelector('#f-escalations-1--after'), '10m'));
    await act(() => tick(box(steps()[1], 'ops-hook'), true));
    await act(() => submit());
    await until(() => root.querySelector('#f-escalations-1--after-err'), 'the delay error');
    assert.equal(root.querySelector('#f-escalations-1--after-err').textContent, 'must be later than the step before');
    assert.equal(root.querySelector('#f-escalations-1--after').getAttribute('aria-invalid'), 'true');
    assert.ok(steps()[1].contains(root.querySelector('#f-escalations-1--after-err')));
    const chanErr = root.querySelector('#f-escalations-0--channels-err');
    assert.equal(chanErr.textContent, 'channel 6 does not exist');
    assert.ok(steps()[0].contains(chanErr));
    assert.equal(steps()[0].getAttribute('aria-describedby'), 'f-escalations-0--channels-err');
    assert.equal(root.querySelector('.form-error').textContent, 'Please correct the highlighted fields.');
    await act(() => input(root.querySelector('#f-escalations-1--after'), '1h'));
    assert.equal(root.querySelector('#f-escalations-1--after-err'), null);
    assert.ok(root.querySelector('#f-escalations-0--channels-err'), 'the other step\u2019s error stays');
  });

  it('puts an error about the list or a whole step under the steps', async () => {
    route('GET', '/api/v1/alert-rules/3', rule());
    route(
      'PATCH',
      '/api/v1/alert-rules/3',
      failure([{ field: 'escalations[0]', message: 'must be {"after": "15m", "channels": [ids]}' }]),
    );
    await act(() => render(<RuleEditor id={3} />, root));
    await until(() => button('Add escalation step'), 'the editor');
    await act(() => button('Add escalation step').click());
    assert.equal(root.querySelector('#f-escalations-0--after').value, '15m', 'a first step starts at 15m');
    await act(() => submit());
    await until(() => root.querySelector('#f-escalations-err'), 'the error');
    assert.match(root.querySelector('#f-escalations-err').textContent, /must be/);
  });

  it('offers no step without channels, and no more than the API takes', async () => {
    route('GET', '/api/v1/channels', []);
    route('GET', '/api/v1/alert-rules/3', rule({ channels: [] }));
    await act(() => render(<RuleEditor id={3} />, root));
    await until(() => root.querySelector('fieldset.channel-choice'), 'the editor');
    assert.equal(root.querySelector('fieldset.escalations'), null);
    await act(() => render(null, root));

    route('GET', '/api/v1/channels', channels);
    const full = Array.from({ length: MAX_ESCALATION_STEPS }, (_, i) => ({ after: `${i + 1}h`, channels: [5] }));
    route('GET', '/api/v1/alert-rules/3', rule({ escalations: full }));
    await act(() => render(<RuleEditor id={3} />, root));
    await until(() => steps().length === MAX_ESCALATION_STEPS, 'the steps');
    assert.equal(button('Add escalation step'), undefined);
  });
});
