// A tiny client-side router: the path and query of location as a signal-like store, links
// intercepted at the document so plain <a href="/…"> elements navigate without a reload. Paths
// are the app's, without the base path (base.js), which is added for the address bar.
import { useEffect, useState } from 'preact/hooks';
import { withBase, withoutBase } from './base.js';

const listeners = new Set();
const notify = () => listeners.forEach((fn) => fn());

// `to`: a path of the app, or of the page (location.pathname, which has the base path).
export function navigate(to, { replace = false } = {}) {
  to = withBase(to);
  if (to === location.pathname + location.search) return;
  history[replace ? 'replaceState' : 'pushState'](null, '', to);
  notify();
  if (!replace) window.scrollTo(0, 0);
}

export function useLocation() {
  const [, set] = useState(0);
  useEffect(() => {
    const fn = () => set((n) => n + 1);
    listeners.add(fn);
    return () => listeners.delete(fn);
  }, []);
  return { path: withoutBase(location.pathname), query: new URLSearchParams(location.search) };
}

// The same page with the query parameter `name` set to `value` (an array repeats it; empty
// removes it), replacing the history entry: for filters kept in the address.
export function setQueryParam(name, value) {
  const p = new URLSearchParams(location.search);
  p.delete(name);
  for (const v of Array.isArray(value) ? value : [value]) if (v) p.append(name, v);
  navigate(location.pathname + (p.toString() ? '?' + p : ''), { replace: true });
}

// "/nodes/:id" against "/nodes/42" -> {id: "42"}; null when it does not match.
export function match(pattern, path) {
  const a = pattern.split('/'),
    b = path.replace(/\/+$/, '').split('/');
  if (a.length !== b.length) return null;
  const params = {};
  for (let i = 0; i < a.length; i++) {
    if (a[i].startsWith(':')) params[a[i].slice(1)] = decodeURIComponent(b[i]);
    else if (a[i] !== b[i]) return null;
  }
  return params;
}

window.addEventListener('popstate', notify);
document.addEventListener('click', (e) => {
  const a = e.target.closest?.('a[href]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const href = a.getAttribute('href');
  // getAttribute: an SVG link's .target is an object, not the attribute's text.
  if (!href.startsWith('/') || href.startsWith('//') || a.getAttribute('target') || a.hasAttribute('download')) return;
  e.preventDefault();
  navigate(href);
});
