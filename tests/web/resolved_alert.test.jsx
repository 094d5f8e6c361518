// A resolved alert keeps the summary of its last firing evaluation (as Prometheus does): the
// page says it is what was true while the alert fired.
import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { render } from 'preact';
import { AlertItem } from '../../web/src/pages/alerts.jsx';

const alert = (state) => ({
  id: 1,
  rule_name: 'HighCpu',
  severity: 'warning',
  state,
  labels: { alertname: 'HighCpu', severity: 'warning', node: 'db-1' },
  annotations: { summary: 'CPU at 97%' },
  active_at: new Date().toISOString(),
});

describe('an alert summary', () => {
  it('is news while firing and past once resolved', () => {
    const root = document.createElement('div');
    render(<AlertItem alert={alert('firing')} />, root);
    assert.equal(root.querySelector('.alert-summary').textContent, 'CPU at 97%');
    render(<AlertItem alert={alert('resolved')} />, root);
    assert.equal(root.querySelector('.alert-summary').textContent, 'While firing: CPU at 97%');
    render(null, root);
  });
});
