// A kind's options as form fields: the descriptor's human label, never the API name, and help
// rendered as text with `code` spans (no literal backticks, no markup from the server).
import { it } from 'vitest';
import assert from 'node:assert/strict';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { useForm } from '../../web/src/ui.jsx';
import { OptionFields, optionValues } from '../../web/src/components/option_fields.jsx';

const SPECS = [
  {
    name: 'expected_status',
    label: 'Accepted status codes',
    type: 'string',
    default: '200-399',
    required: false,
    secret: false,
    help: 'status codes that count as up: `200`, `200-299,301` <b>not markup</b>',
  },
  {
    name: 'invert_keyword',
    label: 'Keyword must be absent',
    type: 'boolean',
    default: false,
    help: 'the `keyword` must not be there',
  },
  { name: 'headers', label: 'Request headers', type: 'string_map', default: null, help: 'extra headers' },
];

function Form() {
  const form = useForm(optionValues(SPECS, 'options.', {}));
  return <OptionFields form={form} specs={SPECS} prefix="options." legend="HTTP options" kindKey="http" />;
}

it('labels option fields by their human label and renders code spans in their help', async () => {
  document.body.innerHTML = '<div id="root"></div>';
  const root = document.getElementById('root');
  await act(() => render(<Form />, root));
  const labels = [...root.querySelectorAll('label, .label')].map((l) => l.textContent.trim());
  assert.ok(labels.includes('Accepted status codes'), labels.join('|'));
  assert.ok(labels.includes('Keyword must be absent'), labels.join('|'));
  assert.ok(labels.includes('Request headers'), labels.join('|'));
  assert.ok(!root.textContent.includes('expected_status'));
  const help = [...root.querySelectorAll('.help')].map((p) => p.innerHTML);
  assert.ok(
    help.includes(
      'status codes that count as up: <code>200</code>, <code>200-299,301</code> &lt;b&gt;not markup&lt;/b&gt;',
    ),
    help.join('|'),
  );
  assert.ok(help.includes('the <code>keyword</code> must not be there'), help.join('|'));
  assert.ok(!root.textContent.includes('`'));
  assert.ok(root.querySelector('[aria-label="Request headers name 1"]'));
});
