// The recent past of checks and nodes beside their live state: the heartbeat bar (one slot per
// run, red where a run failed), uptime and average response, read from
// GET /api/v1/availability/<checks|nodes>, which the server computes from the outcome stretches.
import { useEffect, useState } from 'preact/hooks';
import { get } from '../api.js';
import { useReconnects } from '../live.js';

const POLL_MS = 15e3;

// id -> summary ({heartbeat, slot_ms, uptime: {24h, 7d, 30d}, latency_ms: {24h}, last_up}),
// read again every few seconds and after a reconnect; null until the first answer.
export function useAvailability(of, slots = 50) {
  const [data, setData] = useState(null);
  const reconnects = useReconnects();
  useEffect(() => {
    let live = true;
    const read = () =>
      get(`/api/v1/availability/${of}?slots=${slots}`)
        .then((r) => live && setData(r.data))
        .catch(() => {});
    read();
    const t = setInterval(read, POLL_MS);
    return () => {
      live = false;
      clearInterval(t);
    };
  }, [of, slots, reconnects]);
  return data;
}

// One slot per character of `beats` ('u', 'd' or '-'), oldest first, as one SVG with a path per
// state: a few elements a row, so a list of thousands of rows stays cheap to lay out. The label
// says what a screen reader needs, and the title shows it on hover.
export function Heartbeat({ beats, slotMs }) {
  if (!beats) return <span class="muted small">no runs yet</span>;
  const n = beats.length;
  const paths = { u: '', d: '', '-': '' };
  let down = 0;
  for (let i = 0; i < n; i++) {
    const c = beats[i];
    if (c === 'd') down++;
    if (c in paths) paths[c] += `M${i * 4} 0h3v16h-3z`;
  }
  const span = slotMs ? ` over the last ${duration(n * slotMs)}` : '';
  const label = down ? `${down} of ${n} slots down${span}` : `no failure${span}`;
  return (
    <svg class="heartbeat" viewBox={`0 0 ${n * 4} 16`} preserveAspectRatio="none" role="img" aria-label={label}>
      <title>{label}</title>
      {Object.entries(paths).map(([c, d]) => d && <path d={d} class={'hb-' + c} />)}
    </svg>
  );
}

// 0.99931 -> "99.93 %"; never rounds up to 100 % while a run failed.
export function percent(ratio) {
  if (ratio == null) return '–';
  if (ratio >= 1) return '100 %';
  const digits = ratio >= 0.99 ? 2 : 1;
  const f = 10 ** digits;
  return (Math.floor(ratio * 100 * f) / f).toFixed(digits) + ' %';
}

export function ms(v) {
  if (v == null) return '–';
  return v < 1 ? `${v.toFixed(2)} ms` : v < 100 ? `${v.toFixed(1)} ms` : `${Math.round(v)} ms`;
}

function duration(ms) {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} days`;
}
