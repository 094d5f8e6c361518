// A list that renders only the rows in and near the viewport, scrolled by the window, so a
// page with thousands of rows stays as light as one with fifty. Rows have one fixed height.
// Arrow keys, Page Up/Down, Home and End move the focus between rows (rendering them first).
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

const OVERSCAN = 8;

export function VirtualList({ rows, rowHeight, renderRow, label, rowKey }) {
  const ref = useRef(null);
  const [range, setRange] = useState([0, 40]);
  const focusIndex = useRef(-1);

  const measure = () => {
    const el = ref.current;
    if (!el) return;
    const top = el.getBoundingClientRect().top;
    const first = Math.max(0, Math.floor(-top / rowHeight) - OVERSCAN);
    const count = Math.ceil(window.innerHeight / rowHeight) + 2 * OVERSCAN;
    setRange((r) => (r[0] === first && r[1] === first + count ? r : [first, first + count]));
  };
  useEffect(() => {
    measure();
    window.addEventListener('scroll', measure, { passive: true });
    window.addEventListener('resize', measure);
    return () => {
      window.removeEventListener('scroll', measure);
      window.removeEventListener('resize', measure);
    };
  }, [rowHeight]);
  useEffect(measure, [rows.length]);

  useLayoutEffect(() => {
    if (focusIndex.current < 0) return;
    ref.current
      ?.querySelector(`[data-index="${focusIndex.current}"] a, [data-index="${focusIndex.current}"] button`)
      ?.focus({ preventScroll: true });
    focusIndex.current = -1;
  });

  const onKeyDown = (e) => {
    const li = e.target.closest('[data-index]');
    if (!li) return;
    const i = +li.dataset.index;
    const page = Math.max(1, Math.floor(window.innerHeight / rowHeight) - 2);
    const to = {
      ArrowDown: i + 1,
      ArrowUp: i - 1,
      PageDown: i + page,
      PageUp: i - page,
      Home: 0,
      End: rows.length - 1,
    }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    const target = Math.max(0, Math.min(rows.length - 1, to));
    focusIndex.current = target;
    const el = ref.current,
      top = el.getBoundingClientRect().top + window.scrollY + target * rowHeight;
    const header = 64; // the sticky page header
    if (top < window.scrollY + header) window.scrollTo(0, top - header);
    else if (top + rowHeight > window.scrollY + window.innerHeight)
      window.scrollTo(0, top + rowHeight - window.innerHeight);
    // Render the target now (the scroll event re-measures after); a new array re-renders anyway,
    // so the layout effect moves the focus.
    const count = Math.ceil(window.innerHeight / rowHeight) + 2 * OVERSCAN;
    setRange((r) =>
      target >= r[0] && target < r[1]
        ? [...r]
        : [Math.max(0, target - OVERSCAN), Math.max(0, target - OVERSCAN) + count],
    );
  };

  const [from, to] = [range[0], Math.min(rows.length, range[1])];
  const items = [];
  for (let i = from; i < to; i++) {
    items.push(
      <li
        key={rowKey(rows[i])}
        data-index={i}
        class="vrow"
        style={{ top: i * rowHeight + 'px', height: rowHeight + 'px' }}
        aria-setsize={rows.length}
        aria-posinset={i + 1}
      >
        {renderRow(rows[i], i)}
      </li>,
    );
  }
  return (
    <ul
      ref={ref}
      class="vlist"
      aria-label={label}
      style={{ height: rows.length * rowHeight + 'px' }}
      onKeyDown={onKeyDown}
    >
      {items}
    </ul>
  );
}
