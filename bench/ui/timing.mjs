// How bench_ui.mjs times a page that shows a list: the same code for Telltale and the peer.

// Installed in a page before its own scripts, so it sees the whole load: times navigation start to
// the first frame that shows the whole list, the same way for Telltale and the peer; only what
// "the whole list" is differs (`kind`). It polls once a frame with the browser's own
// requestAnimationFrame. A frame's rAF callbacks run before its style and layout, a
// ResizeObserver's first callback after them (before paint), so the time taken there is when the
// frame that shows the list has been laid out; tasks the page queued behind it do not count.
export function listTiming({ kind, n, countId = 'node-count' }) {
  const raf = window.requestAnimationFrame.bind(window);
  const longTasks = [];
  window.__longTasks = longTasks;
  new PerformanceObserver((l) => { for (const e of l.getEntries()) longTasks.push(e.duration); })
    .observe({ type: 'longtask', buffered: true });
  let firstRow, whole;
  if (kind === 'telltale') {
    // The count says every node (check) is loaded, and the (virtualised) list has rows with their
    // heartbeat bars (or "no runs yet") drawn.
    firstRow = () => document.querySelector('.vrow');
    whole = () =>
      document.getElementById(countId)?.textContent === `${n} total` && document.querySelector('.vrow .c-beats > *');
  } else {
    // Prometheus' targets page: one `td.state` per target, all in the served HTML. A live
    // collection, so a poll reads a length rather than querying 5,000 cells.
    const cells = document.getElementsByClassName('state');
    firstRow = () => cells.length > 0;
    whole = () => cells.length >= n;
  }
  const laidOut = () => new Promise((ok) => {
    const ro = new ResizeObserver(() => { ro.disconnect(); ok(performance.now()); });
    ro.observe(document.documentElement);
  });
  window.__list = new Promise((done) => {
    let first = null;
    const poll = () => {
      if (!first && document.documentElement && firstRow()) first = laidOut();
      if (first && whole()) Promise.all([first, laidOut()]).then(([f, w]) => done({ first_row_ms: f, list_ms: w }));
      else raf(poll);
    };
    raf(poll);
  });
}

// One load of a list page: the times above, then, once the page has loaded and gone a second
// without a long task (at most 20 s), every long task of the load, the JS heap after a garbage
// collection (DevTools protocol, precise; the DOM itself lives outside it), the elements in the
// document and the bytes transferred (document, assets and API calls; cached assets count 0).
export async function loadList(page, cdp, url, rowSelector) {
  // A page of the context that is not in front is hidden, and Chromium throttles a hidden page's
  // animation frames (the timing polls once a frame) and timers: each is timed in front.
  await page.bringToFront();
  await page.goto(url);
  const times = await page.evaluate(() => window.__list);
  const t0 = Date.now();
  let seen = -1, quietSince = Date.now();
  for (;;) {
    const { n, complete } = await page.evaluate(() => ({ n: window.__longTasks.length, complete: document.readyState === 'complete' }));
    if (n !== seen) { seen = n; quietSince = Date.now(); }
    if ((complete && Date.now() - quietSince >= 1000) || Date.now() - t0 > 20000) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  await cdp.send('HeapProfiler.collectGarbage');
  const metrics = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  const facts = await page.evaluate((sel) => {
    const lt = window.__longTasks;
    const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
    return {
      long_tasks: lt.length, long_task_total_ms: lt.reduce((a, b) => a + b, 0), longest_task_ms: Math.max(0, ...lt),
      elements: document.getElementsByTagName('*').length,
      rows_in_dom: document.querySelectorAll(sel).length,
      transferred_bytes: entries.reduce((a, e) => a + (e.transferSize || 0), 0),
      html_received_ms: performance.getEntriesByType('navigation')[0]?.responseEnd ?? null,
    };
  }, rowSelector);
  return { ...times, ...facts, heap_mb: metrics.JSHeapUsedSize / 1048576 };
}
