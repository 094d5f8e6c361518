// Settings › Configuration: an apply's changes as the lines of a diff.
import { describe as suite, it } from 'vitest';
import assert from 'node:assert/strict';
import { planLines } from '../../web/src/pages/configuration.jsx';

suite('planLines', () => {
  it('shows what is made, changed and deleted, and counts the rest', () => {
    const lines = planLines([
      { action: 'create', kind: 'nodes', name: 'gw1', fields: ['name', 'type'] },
      { action: 'update', kind: 'checks', name: 'ping gw1', fields: ['interval', 'retries'] },
      { action: 'unchanged', kind: 'checks', name: 'health', fields: [] },
      { action: 'delete', kind: 'nodes', name: 'pi', fields: [] },
      { action: 'unchanged', kind: 'channels', name: 'pager', fields: [] },
    ]);
    assert.deepEqual(lines, [
      ['create', '+ nodes/gw1'],
      ['update', '~ checks/ping gw1: interval, retries'],
      ['delete', '- nodes/pi'],
      ['unchanged', '= 2 unchanged'],
    ]);
  });
  it('says nothing of unchanged items when there are none', () => {
    assert.deepEqual(planLines([]), []);
  });
});
