// The events page: kinds under human names, SNMP traps in words, and the search, which asks the
// server (`q`) and filters live events the same way.
import { describe as suite, it, beforeEach, afterEach } from 'vitest';
import assert from 'node:assert/strict';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { describe, kindName, eventMatches, Events } from '../../web/src/pages/events.jsx';

const trap = {
  id: 7,
  kind: 'snmp.trap',
  topic: 'snmp',
  subject: '10.0.0.9',
  actor: 'system',
  at: '2026-12-06T10:00:00Z',
  data: { source: '10.0.0.9', trap: 'linkDown', trap_oid: '1.3.6.1.6.3.1.1.5.3', node: 'sw-1' },
};

suite('event kinds', () => {
  it('have human names', () => {
    assert.equal(kindName('snmp.trap'), 'SNMP trap');
    assert.equal(kindName('check.state_changed'), 'Check state changed');
    assert.equal(kindName('inhibit_rule.created'), 'Inhibit rule created');
    assert.equal(kindName('agent.container.died'), 'Agent container died');
  });
  it('describe traps and records in words', () => {
    assert.equal(describe(trap), 'SNMP trap linkDown from sw-1 (10.0.0.9)');
    assert.equal(
      describe({ kind: 'snmp.traps_suppressed', data: { source: '10.0.0.9', suppressed: 120 } }),
      '120 SNMP traps from 10.0.0.9 not logged (too many)',
    );
    assert.equal(
      describe({ kind: 'maintenance.created', data: { maintenance: { name: 'Patch Tuesday' } } }),
      'Maintenance window created: Patch Tuesday',
    );
    assert.equal(describe({ kind: 'agent.buffer_dropped', subject: '4', data: {} }), 'Agent dropped buffered data: 4');
    const pin = { title: 'Lab', query: 'iot_temperature{room="lab"}' };
    assert.equal(describe({ kind: 'node_pin.created', data: { pin } }), 'Pinned “Lab”: iot_temperature{room="lab"}');
    assert.equal(describe({ kind: 'node_pin.deleted', data: { pin } }), 'Unpinned “Lab”');
  });
  it('are searched as the server searches: any case, dots and underscores as spaces', () => {
    assert.ok(eventMatches(trap, 'SNMP trap'));
    assert.ok(eventMatches(trap, 'linkdown'));
    assert.ok(eventMatches(trap, ' sw-1 '));
    assert.ok(eventMatches(trap, ''));
    assert.ok(!eventMatches(trap, 'linkUp'));
    assert.ok(eventMatches({ ...trap, kind: 'check.state_changed', data: {} }, 'state changed'));
  });
});

suite('events page', () => {
  let root, asked;
  beforeEach(() => {
    asked = [];
    globalThis.fetch = async (url) => {
      asked.push(url);
      const q = new URL(url, 'http://x').searchParams.get('q');
      const data = !q || eventMatches(trap, q) ? [trap] : [];
      return new Response(JSON.stringify({ success: true, data, pagination: { has_next: false } }));
    };
    root = document.createElement('div');
    document.body.append(root);
  });
  afterEach(() => {
    render(null, root);
    root.remove();
  });
  const settle = () => act(() => new Promise((r) => setTimeout(r, 300)));

  it('asks the server for what the search box holds', async () => {
    await act(() => render(<Events />, root));
    await settle();
    assert.match(root.querySelector('.events').textContent, /SNMP trap linkDown from sw-1/);
    const box = root.querySelector('#ev-q');
    box.value = 'link up';
    await act(() => box.dispatchEvent(new Event('input', { bubbles: true })));
    await settle();
    await settle();
    assert.ok(
      asked.some((u) => u.includes('q=link+up')),
      asked.join('\n'),
    );
    assert.match(root.textContent, /No events match the search/);
  });
});
