// New samples over the shared WebSocket: series topics subscribed and dropped as pages watch
// them, batches delivered to the watchers, appended to the charts' series.
import { describe, it, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { route, sockets, until } from './fake_server.js';
import { start, stop, watchSeries } from '../../web/src/live.js';
import { appendSamples, bitRate } from '../../web/src/components/chart.jsx';
import { chartSelectors, rateQueries, fromMatrix } from '../../web/src/pages/node.jsx';

// Charts as GET /api/v1/check-kinds serves them (probes/icmp.cpp, http.cpp, snmp.cpp).
const ICMP_CHARTS = [
  {
    id: 'rtt',
    unit: 'seconds',
    series: [{ metric: 'probe_icmp_rtt_seconds', matchers: 'stat="avg"', labels: {} }],
    legend: ['check'],
  },
  {
    id: 'loss',
    unit: 'ratio',
    series: [{ metric: 'probe_icmp_loss_ratio', matchers: '', labels: {} }],
    legend: ['check'],
  },
];
const HTTP_CHARTS = [
  {
    id: 'http',
    unit: 'seconds',
    series: [{ metric: 'probe_http_duration_seconds', matchers: '', labels: {} }],
    legend: ['check', 'phase'],
  },
];
const TRAFFIC = {
  id: 'traffic',
  unit: 'bytes_total',
  legend: ['ifName', 'direction'],
  series: [
    { metric: 'if_in_octets_total', matchers: '', labels: { direction: 'in' } },
    {
      metric: 'if_out_octets_total',
      matchers: '',
      labels: { direction: 'out' },
    },
  ],
};

const topicMessages = (sock) => sock.sent.filter((m) => m.type !== 'ping');
const s = (labels, timestamps, values, metric = 'probe_duration_seconds') => ({
  metric,
  labels,
  timestamps,
  values,
});

describe('chart samples', () => {
  it('appends new samples to the series of the same labels, adds new series, drops old points', () => {
    const a = s({ check: 'a', node: 'gw' }, [1000, 2000], [0.1, 0.2]);
    const out = appendSamples(
      [a],
      [s({ node: 'gw', check: 'a' }, [2000, 3000], [9, 0.3]), s({ check: 'b' }, [3000], [1])],
      1500,
    );
    assert.deepEqual(out, [s({ check: 'a', node: 'gw' }, [2000, 3000], [0.2, 0.3]), s({ check: 'b' }, [3000], [1])]);
    assert.deepEqual(a.timestamps, [1000, 2000]);
  });
  it("selects the node's series by the kinds of its checks, quoting the name", () => {
    assert.deepEqual(Object.keys(chartSelectors('gw', [])), []);
    const w = chartSelectors('a"b', [...ICMP_CHARTS, ...HTTP_CHARTS]);
    assert.deepEqual(Object.keys(w), ['rtt', 'loss', 'http']);
    assert.equal(w.rtt, 'probe_icmp_rtt_seconds{node="a\\"b",stat="avg"}');
  });
  it("draws each check's response time from its kind's series: a ping's round trip", () => {
    const kinds = [
      { kind: 'icmp', response: { metric: 'probe_icmp_rtt_seconds', matchers: 'stat="avg"' } },
      { kind: 'http', response: { metric: 'probe_duration_seconds', matchers: '' } },
      { kind: 'dns', response: { metric: 'probe_duration_seconds', matchers: '' } },
    ];
    const w = chartSelectors('gw', [], kinds, [{ kind: 'icmp' }, { kind: 'http' }]);
    assert.deepEqual(w, {
      'response:icmp': 'probe_icmp_rtt_seconds{node="gw",kind="icmp",stat="avg"}',
      'response:http': 'probe_duration_seconds{node="gw",kind="http"}',
    });
  });
  it('asks interface traffic as bit rates per interface, over a window of at least 5 minutes and two steps', () => {
    const q = rateQueries(TRAFFIC, 'sw"1', 15e3);
    assert.equal(q[0], 'sum by (ifName) (rate(if_in_octets_total{node="sw\\"1"}[300s])) * 8');
    assert.equal(q[1], 'sum by (ifName) (rate(if_out_octets_total{node="sw\\"1"}[300s])) * 8');
    assert.match(rateQueries(TRAFFIC, 'sw', 1800e3)[0], /\[3600s\]/);
  });
  it('reads a Prometheus matrix as chart series, and writes bit rates with SI prefixes', () => {
    const m = [
      {
        metric: { ifName: 'eth0' },
        values: [
          [1700000000, '1000'],
          [1700000015.5, '2.5e6'],
        ],
      },
    ];
    assert.deepEqual(fromMatrix(m, 'traffic', { direction: 'in' }), [
      {
        metric: 'traffic',
        labels: { ifName: 'eth0', direction: 'in' },
        timestamps: [1700000000000, 1700000015500],
        values: [1000, 2.5e6],
      },
    ]);
    assert.deepEqual([0, 999, 1000, 1.25e6, 12.5e6, 125e6, 1e9, null].map(bitRate), [
      '0 bit/s',
      '999 bit/s',
      '1 kbit/s',
      '1.25 Mbit/s',
      '12.5 Mbit/s',
      '125 Mbit/s',
      '1 Gbit/s',
      '–',
    ]);
  });
});

describe('watchSeries', () => {
  let sock;
  beforeAll(async () => {
    route('GET', '/api/v1/events', [{ id: 1 }]);
    route('GET', '/api/v1/alerts', []);
    route('GET', '/api/v1/nodes', []);
    start();
    await until(() => sockets.length === 1 && sockets[0].sent.length === 1, 'the subscription');
    sock = sockets[0];
    await sock.receive({ type: 'subscribed', topics: ['events'] });
  });
  afterAll(() => stop());

  it('subscribes a topic once, delivers its batches, unsubscribes after the last watcher', async () => {
    const got1 = [],
      got2 = [];
    const stop1 = watchSeries('up{node="a"}', (b) => got1.push(b));
    const stop2 = watchSeries('up{node="a"}', (b) => got2.push(b));
    assert.deepEqual(topicMessages(sock).slice(1), [{ type: 'subscribe', topics: ['series:up{node="a"}'] }]);
    // The answer to this subscription does not start another catch-up.
    const fetches = sockets.length;
    await sock.receive({
      type: 'subscribed',
      topics: ['events', 'series:up{node="a"}'],
    });
    const batch = [s({ node: 'a' }, [5], [1], 'up')];
    await sock.receive({
      type: 'event',
      topic: 'series:up{node="a"}',
      data: { series: batch },
    });
    await sock.receive({
      type: 'event',
      topic: 'series:other',
      data: { series: batch },
    });
    assert.deepEqual(got1, [batch]);
    assert.deepEqual(got2, [batch]);
    stop1();
    assert.equal(topicMessages(sock).length, 2);
    stop2();
    assert.deepEqual(topicMessages(sock)[2], {
      type: 'unsubscribe',
      topics: ['series:up{node="a"}'],
    });
    await sock.receive({
      type: 'event',
      topic: 'series:up{node="a"}',
      data: { series: batch },
    });
    assert.equal(got1.length, 1);
    assert.equal(sockets.length, fetches);
  });

  it('subscribes the watched topics again on a new connection', async () => {
    const stopW = watchSeries('x', () => {});
    sock.close(); // the server went away: the link reconnects with backoff
    await until(() => sockets.length === 2, 'the reconnect', 5000);
    await until(() => sockets[1].sent.length === 1, 'the subscription');
    assert.deepEqual(sockets[1].sent[0], {
      type: 'subscribe',
      topics: ['events', 'series:x'],
    });
    stopW();
  });
});
