// The checks list: search, kind and state filters, the orders, and the heartbeat bar and figures.
import { describe, it, beforeEach } from 'vitest';
import assert from 'node:assert/strict';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { filterChecks, checkMatcher } from '../../web/src/pages/checks.jsx';
import { Heartbeat, percent, ms } from '../../web/src/components/heartbeat.jsx';
import { span, responseSelector } from '../../web/src/pages/check.jsx';

const checks = [
  { id: 1, name: 'site', kind: 'http', target: 'https://example.org/', state: 'up', labels: { team: 'web' } },
  { id: 2, name: 'gw ping', kind: 'icmp', target: '10.0.0.1', state: 'down', labels: {} },
  {
    id: 3,
    name: 'api',
    kind: 'http',
    target: 'https://api.example.org/',
    state: 'up',
    labels: {},
    last_result: { facts: { cert_days: 5.5 } },
  },
  { id: 4, name: 'backup', kind: 'push', target: '', state: 'paused', labels: {} },
];
const avail = {
  1: { uptime: { '24h': 0.999 }, latency_ms: { '24h': 120 } },
  2: { uptime: { '24h': 0.5 }, latency_ms: { '24h': 0.03 } },
  3: { uptime: { '24h': 1 }, latency_ms: { '24h': 300 } },
};
const names = (r) => r.rows.map((c) => c.name);
const opts = { q: '', kind: '', states: [], order: 'problems', avail };

describe('checks list', () => {
  it('puts problems first, then by name; counts states over the search', () => {
    const r = filterChecks(checks, opts);
    assert.deepEqual(names(r), ['gw ping', 'backup', 'api', 'site']);
    assert.deepEqual(r.counts, { down: 1, pending: 0, paused: 1, up: 2 });
  });
  it('filters by words, labels, kind and state', () => {
    assert.deepEqual(names(filterChecks(checks, { ...opts, q: 'example' })), ['api', 'site']);
    assert.deepEqual(names(filterChecks(checks, { ...opts, q: 'team=web' })), ['site']);
    assert.deepEqual(names(filterChecks(checks, { ...opts, kind: 'http' })), ['api', 'site']);
    const down = filterChecks(checks, { ...opts, states: ['down'] });
    assert.deepEqual(names(down), ['gw ping']);
    assert.equal(down.counts.up, 2, 'the counts ignore the state filter');
    assert.equal(checkMatcher('GW')(checks[1]), true);
  });
  it('sorts by lowest uptime, slowest response and nearest certificate expiry', () => {
    assert.deepEqual(names(filterChecks(checks, { ...opts, order: 'uptime' })), ['gw ping', 'site', 'api', 'backup']);
    assert.deepEqual(names(filterChecks(checks, { ...opts, order: 'response' })), ['api', 'site', 'gw ping', 'backup']);
    assert.equal(filterChecks(checks, { ...opts, order: 'cert' }).rows[0].name, 'api');
  });
  it('writes uptime without rounding a failure up to 100 %, and response times', () => {
    assert.equal(percent(1), '100 %');
    assert.equal(percent(0.99999), '99.99 %');
    assert.equal(percent(0.95), '95.0 %');
    assert.equal(percent(null), '–');
    assert.equal(ms(0.034), '0.03 ms');
    assert.equal(ms(12.34), '12.3 ms');
    assert.equal(ms(401.2), '401 ms');
    assert.equal(span(90e3), '2 min');
    assert.equal(span(3 * 3600e3 + 12 * 60e3), '3 h 12 min');
  });
  it("reads a check's response from its kind's series", () => {
    const icmp = { response: { metric: 'probe_icmp_rtt_seconds', matchers: 'stat="avg"' } };
    assert.equal(responseSelector({ name: 'gw "1"' }, icmp), 'probe_icmp_rtt_seconds{check="gw \\"1\\"",stat="avg"}');
    assert.equal(responseSelector({ name: 'site' }, undefined), 'probe_duration_seconds{check="site"}');
  });
});

describe('Heartbeat', () => {
  let root;
  beforeEach(() => {
    document.body.innerHTML = '<div id="root"></div>';
    root = document.getElementById('root');
  });
  it('draws a slot per run, oldest first, and says how many failed', async () => {
    await act(() => render(<Heartbeat beats="-uud" slotMs={10e3} />, root));
    const svg = root.querySelector('svg');
    // One path per state, a 4-unit slot each: x 0 no run, 4 and 8 up, 12 down.
    assert.deepEqual(
      [...svg.querySelectorAll('path')].map((p) => [p.getAttribute('class'), p.getAttribute('d')]),
      [
        ['hb-u', 'M4 0h3v16h-3zM8 0h3v16h-3z'],
        ['hb-d', 'M12 0h3v16h-3z'],
        ['hb--', 'M0 0h3v16h-3z'],
      ],
    );
    assert.equal(svg.getAttribute('aria-label'), '1 of 4 slots down over the last 40 s');
  });
  it('says when there is no run yet', async () => {
    await act(() => render(<Heartbeat beats="" />, root));
    assert.match(root.textContent, /no runs yet/);
  });
});
