// The map: nodes with a location, drawn as an SVG in Web Mercator fitted to them, with a
// graticule, so it needs nothing from the network. A tile URL (kept in this browser's
// localStorage) adds a raster base map under the nodes, from a local tile server for example.
import { useEffect, useRef, useState } from 'preact/hooks';
import { useLive, nodesByName } from '../live.js';
import { STATUSES, cap } from '../ui.jsx';

const PAD = 40;
const MAX_ZOOM = 16; // a lone node (or nodes on one site) is shown at about street level
const TILE = 256;
const MAX_TILES = 48;
const TILES_KEY = 'telltale.map.tiles';

// Latitude and longitude in degrees -> Web Mercator world coordinates in [0, 1].
export function project(lat, lon) {
  const phi = (Math.max(-85.05112878, Math.min(85.05112878, lat)) * Math.PI) / 180;
  return [(lon + 180) / 360, (1 - Math.log(Math.tan(phi) + 1 / Math.cos(phi)) / Math.PI) / 2];
}
export function unproject(x, y) {
  const n = Math.PI - 2 * Math.PI * y;
  return [(180 / Math.PI) * Math.atan(Math.sinh(n)), x * 360 - 180];
}

// The view of width × height pixels that fits the points: {cx, cy} world centre and scale
// (pixels per world unit), between the whole world and MAX_ZOOM.
export function fit(points, width, height) {
  if (!points.length) return { cx: 0.5, cy: 0.5, scale: Math.min(width, height), width, height };
  const xs = points.map((p) => p[0]),
    ys = points.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const fitScale = Math.min(
    (width - 2 * PAD) / Math.max(x1 - x0, 1e-12),
    (height - 2 * PAD) / Math.max(y1 - y0, 1e-12),
  );
  const scale = Math.max(Math.min(width, height), Math.min(fitScale, TILE * 2 ** MAX_ZOOM));
  return { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, scale, width, height };
}
export const toScreen = (view, [x, y]) => [
  view.width / 2 + (x - view.cx) * view.scale,
  view.height / 2 + (y - view.cy) * view.scale,
];

// The tiles that cover the view at the zoom nearest its scale (none past MAX_TILES), each
// {url, x, y, size} in screen pixels.
export function tilesFor(view, template) {
  const z = Math.max(0, Math.min(MAX_ZOOM + 3, Math.round(Math.log2(view.scale / TILE))));
  const n = 2 ** z,
    size = view.scale / n;
  const tx0 = Math.max(0, Math.floor((view.cx - view.width / 2 / view.scale) * n)),
    tx1 = Math.min(n - 1, Math.floor((view.cx + view.width / 2 / view.scale) * n));
  const ty0 = Math.max(0, Math.floor((view.cy - view.height / 2 / view.scale) * n)),
    ty1 = Math.min(n - 1, Math.floor((view.cy + view.height / 2 / view.scale) * n));
  if ((tx1 - tx0 + 1) * (ty1 - ty0 + 1) > MAX_TILES) return [];
  const out = [];
  for (let ty = ty0; ty <= ty1; ty++) {
    for (let tx = tx0; tx <= tx1; tx++) {
      const [x, y] = toScreen(view, [tx / n, ty / n]);
      out.push({ url: template.replace('{z}', z).replace('{x}', tx).replace('{y}', ty), x, y, size });
    }
  }
  return out;
}

// Graticule lines every step degrees, the step chosen for about 4 to 10 lines across.
export function graticule(view) {
  const [latTop, lonLeft] = unproject(view.cx - view.width / 2 / view.scale, view.cy - view.height / 2 / view.scale);
  const [latBottom, lonRight] = unproject(
    view.cx + view.width / 2 / view.scale,
    view.cy + view.height / 2 / view.scale,
  );
  const span = Math.max(lonRight - lonLeft, 1e-6);
  const step =
    [30, 10, 5, 2, 1, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001].find((s) => span / s >= 4) ?? 0.001;
  const lines = [];
  for (let lon = Math.ceil(Math.max(-180, lonLeft) / step) * step; lon <= Math.min(180, lonRight); lon += step) {
    lines.push({ kind: 'lon', value: +lon.toFixed(4), at: toScreen(view, project(0, lon))[0] });
  }
  for (let lat = Math.ceil(Math.max(-85, latBottom) / step) * step; lat <= Math.min(85, latTop); lat += step) {
    lines.push({ kind: 'lat', value: +lat.toFixed(4), at: toScreen(view, project(lat, 0))[1] });
  }
  return lines;
}

// A tile URL template: http(s) with {z}, {x} and {y}.
export const validTileUrl = (s) => /^https?:\/\/[^\s]+$/.test(s) && ['{z}', '{x}', '{y}'].every((p) => s.includes(p));

function TileSetting({ value, onChange }) {
  const [text, setText] = useState(value);
  const [error, setError] = useState('');
  const save = (e) => {
    e.preventDefault();
    const t = text.trim();
    if (t && !validTileUrl(t)) return setError('A tile URL is http(s) and holds {z}, {x} and {y}.');
    setError('');
    if (t) localStorage.setItem(TILES_KEY, t);
    else localStorage.removeItem(TILES_KEY);
    onChange(t);
  };
  return (
    <details class="add">
      <summary>Base map tiles</summary>
      <form onSubmit={save}>
        <div class="field">
          <label for="map-tiles">Tile URL (this browser only)</label>
          <input
            id="map-tiles"
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
            placeholder="http://tiles.lan/{z}/{x}/{y}.png"
            autocomplete="off"
            spellcheck={false}
            aria-invalid={error ? 'true' : undefined}
            aria-describedby="map-tiles-help"
          />
          <p class="help" id="map-tiles-help">
            Empty: no base map, nothing is fetched. With a URL, the browser loads the tiles from it.
          </p>
          {error && (
            <p class="field-error" role="alert">
              {error}
            </p>
          )}
        </div>
        <button type="submit">Save</button>
      </form>
    </details>
  );
}

export function MapPage() {
  const { nodes, loaded } = useLive();
  const [tiles, setTiles] = useState(() => localStorage.getItem(TILES_KEY) || '');
  // Drawn at the box's own size in pixels, so text and markers keep their size on a phone.
  const box = useRef(null);
  const [width, setWidth] = useState(1000);
  useEffect(() => {
    document.title = 'Map · Telltale';
  }, []);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => el.clientWidth && setWidth(el.clientWidth));
    ro.observe(el);
    return () => ro.disconnect();
  }, [loaded]);
  if (!loaded) return <p class="loading">Loading…</p>;
  const placed = nodesByName().filter((n) => Number.isFinite(n.location?.lat) && Number.isFinite(n.location?.lon));
  const points = placed.map((n) => project(n.location.lat, n.location.lon));
  const view = fit(points, width, Math.round(Math.min(600, Math.max(320, width * 0.7))));
  const showNames = placed.length <= 60;
  const counts = Object.fromEntries(STATUSES.map((s) => [s, placed.filter((n) => n.status === s).length]));
  // Problems are drawn last, on top.
  const order = placed
    .map((n, i) => i)
    .sort((a, b) => STATUSES.indexOf(placed[b].status) - STATUSES.indexOf(placed[a].status));
  return (
    <section aria-labelledby="map-title">
      <div class="head">
        <h1 id="map-title" tabIndex={-1}>
          Map
        </h1>
        <span class="muted">
          {placed.length} of {nodes.size} nodes have a location
        </span>
      </div>
      <ul class="legend" aria-label="Legend">
        {STATUSES.map((s) => (
          <li>
            <svg width="12" height="12" aria-hidden="true">
              <circle cx="6" cy="6" r="5" class={'m-' + s} />
            </svg>{' '}
            {cap(s)} {counts[s]}
          </li>
        ))}
      </ul>
      <div class="map card" ref={box}>
        <svg
          viewBox={`0 0 ${view.width} ${view.height}`}
          role="group"
          aria-label="Nodes by location"
          preserveAspectRatio="xMidYMid meet"
        >
          {tiles &&
            tilesFor(view, tiles).map((t) => (
              <image href={t.url} x={t.x} y={t.y} width={t.size + 0.5} height={t.size + 0.5} />
            ))}
          {graticule(view).map((l) =>
            l.kind === 'lon' ? (
              <g class="grat">
                <line x1={l.at} x2={l.at} y1={0} y2={view.height} />
                <text x={l.at + 3} y={view.height - 6}>
                  {l.value}°
                </text>
              </g>
            ) : (
              <g class="grat">
                <line x1={0} x2={view.width} y1={l.at} y2={l.at} />
                <text x={4} y={l.at - 3}>
                  {l.value}°
                </text>
              </g>
            ),
          )}
          {order.map((i) => {
            const n = placed[i];
            const [x, y] = toScreen(view, points[i]);
            return (
              <a
                href={`/nodes/${n.id}`}
                class="marker"
                data-node={n.id}
                aria-label={`${n.name}: ${n.status}${n.location.place ? ', ' + n.location.place : ''}`}
              >
                <title>
                  {n.name} ({n.status}){n.location.place ? ` · ${n.location.place}` : ''}
                </title>
                <circle cx={x} cy={y} r={n.status === 'up' ? 6 : 8} class={'m-' + n.status} />
                {showNames && (
                  <text x={x + 10} y={y + 4}>
                    {n.name}
                  </text>
                )}
              </a>
            );
          })}
        </svg>
        {!placed.length && (
          <p class="map-empty">
            No node has a location yet. Give one a latitude and longitude when adding it on the overview, or set its{' '}
            <code>location</code> through the API.
          </p>
        )}
      </div>
      <TileSetting value={tiles} onChange={setTiles} />
    </section>
  );
}
