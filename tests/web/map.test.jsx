// The offline map: the projection, the view fitted to the nodes, tiles only when a URL is set,
// markers coloured by status that link to their node and follow live status changes.
import { describe, it, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { route, sockets, until } from './fake_server.js';
import { start, stop } from '../../web/src/live.js';
import { MapPage, project, unproject, fit, toScreen, tilesFor, validTileUrl } from '../../web/src/pages/map.jsx';
import { parseLatLon } from '../../web/src/pages/overview.jsx';

const WIDTH = 1000,
  HEIGHT = 600;
const close = (a, b, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} != ${b}`);

describe('projection', () => {
  it('maps degrees to Web Mercator and back', () => {
    assert.deepEqual(project(0, 0), [0.5, 0.5]);
    close(project(0, 180)[0], 1);
    close(project(85.05112878, 0)[1], 0);
    const [lat, lon] = unproject(...project(52.37, 4.89));
    close(lat, 52.37);
    close(lon, 4.89);
  });
  it('fits the nodes inside the view, and caps the zoom for a single node', () => {
    const pts = [project(52.37, 4.89), project(48.85, 2.35), project(51.5, -0.12)];
    const v = fit(pts, WIDTH, HEIGHT);
    for (const p of pts) {
      const [x, y] = toScreen(v, p);
      assert.ok(x >= 39 && x <= WIDTH - 39 && y >= 39 && y <= HEIGHT - 39, `${x},${y}`);
    }
    assert.equal(fit([project(1, 1)], WIDTH, HEIGHT).scale, 256 * 2 ** 16);
  });
  it('covers the view with tiles of the nearest zoom, and none for too many', () => {
    const v = { cx: 0.5, cy: 0.5, scale: 512, width: WIDTH, height: HEIGHT };
    const t = tilesFor(v, 'http://t/{z}/{x}/{y}.png');
    assert.deepEqual(
      t.map((x) => x.url),
      ['http://t/1/0/0.png', 'http://t/1/1/0.png', 'http://t/1/0/1.png', 'http://t/1/1/1.png'],
    );
    assert.deepEqual([t[0].x, t[0].y, t[0].size], [WIDTH / 2 - 256, HEIGHT / 2 - 256, 256]);
    assert.equal(
      tilesFor({ cx: 0.5, cy: 0.5, scale: 100 * 256, width: WIDTH, height: HEIGHT }, 'http://t/{z}/{x}/{y}').length <=
        48,
      true,
    );
    assert.ok(validTileUrl('https://a.b/{z}/{x}/{y}.png'));
    assert.ok(!validTileUrl('https://a.b/{z}/{x}.png'));
    assert.ok(!validTileUrl('javascript:{z}{x}{y}'));
  });
  it('reads a location typed as latitude, longitude', () => {
    assert.deepEqual(parseLatLon(' 52.37, -4.5 '), { lat: 52.37, lon: -4.5 });
    assert.deepEqual(parseLatLon('1 2'), { lat: 1, lon: 2 });
    assert.equal(parseLatLon(''), undefined);
    assert.equal(parseLatLon('north'), null);
  });
});

describe('map page', () => {
  const node = (id, name, status, location) => ({ id, name, status, type: 'vm', labels: {}, location });
  let root;
  beforeAll(async () => {
    route('GET', '/api/v1/events', [{ id: 1 }]);
    route('GET', '/api/v1/alerts', []);
    route('GET', '/api/v1/nodes', [
      node(1, 'ams', 'up', { lat: 52.37, lon: 4.89, place: 'Amsterdam' }),
      node(2, 'par', 'down', { lat: 48.85, lon: 2.35 }),
      node(3, 'nowhere', 'up', null),
    ]);
    start();
    await until(() => sockets.length === 1 && sockets[0].sent.length === 1, 'the socket');
    await sockets[0].receive({ type: 'subscribed', topics: ['events'] });
    document.body.innerHTML = '<div id="root"></div>';
    root = document.getElementById('root');
    localStorage.clear();
  });
  afterAll(() => stop());

  it('draws the located nodes by status, linking to them, without fetching tiles', async () => {
    await act(() => render(<MapPage />, root));
    await until(() => root.querySelectorAll('.marker').length === 2, 'the markers');
    assert.ok(root.textContent.includes('2 of 3 nodes have a location'));
    const ams = root.querySelector('[data-node="1"]');
    assert.equal(ams.getAttribute('href'), '/nodes/1');
    assert.equal(ams.getAttribute('aria-label'), 'ams: up, Amsterdam');
    assert.equal(ams.querySelector('circle').getAttribute('class'), 'm-up');
    assert.equal(root.querySelector('[data-node="2"] circle').getAttribute('class'), 'm-down');
    assert.equal(root.querySelectorAll('image').length, 0);
    // The problem is drawn last (on top).
    assert.equal(root.querySelectorAll('.marker')[1].dataset.node, '2');

    await act(() =>
      sockets[0].receive({
        type: 'event',
        topic: 'events',
        data: {
          id: 2,
          topic: 'nodes',
          kind: 'node.updated',
          at: new Date().toISOString(),
          data: { node: node(1, 'ams', 'down', { lat: 52.37, lon: 4.89 }), changed: ['status'] },
        },
      }),
    );
    await until(
      () => root.querySelector('[data-node="1"] circle').getAttribute('class') === 'm-down',
      'the live status',
    );
  });

  it('keeps a tile URL in localStorage and draws the tiles from it', async () => {
    const input = root.querySelector('#map-tiles');
    input.value = 'http://tiles.lan/{z}';
    await act(() => input.dispatchEvent(new Event('input', { bubbles: true })));
    await act(() => input.form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true })));
    assert.ok(root.querySelector('[role=alert]').textContent.includes('{z}, {x} and {y}'));
    assert.equal(localStorage.getItem('telltale.map.tiles'), null);
    input.value = 'http://tiles.lan/{z}/{x}/{y}.png';
    await act(() => input.dispatchEvent(new Event('input', { bubbles: true })));
    await act(() => input.form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true })));
    assert.equal(localStorage.getItem('telltale.map.tiles'), 'http://tiles.lan/{z}/{x}/{y}.png');
    const images = root.querySelectorAll('image');
    assert.ok(images.length > 0 && images.length <= 48);
    assert.match(images[0].getAttribute('href'), /^http:\/\/tiles\.lan\/\d+\/\d+\/\d+\.png$/);
  });
});
