// The path prefix the server is reached under (`serve --base-path`, behind a reverse proxy): the
// server names it in index.html's <meta name="telltale-base">; '' when there is none. The app's
// own paths ('/nodes/4', '/api/v1/nodes') never carry it: it is added where a URL leaves the app
// (fetch, WebSocket, the address bar, links' href) and taken off location.pathname.
import { options } from 'preact';

export const base = document.querySelector('meta[name="telltale-base"]')?.getAttribute('content') || '';

// A path of the app as a URL path; a path that already has the prefix is left as it is.
export const withBase = (path) =>
  base && path.startsWith('/') && !path.startsWith('//') ? base + withoutBase(path) : path;

// A URL path as a path of the app.
export const withoutBase = (path) =>
  base && (path === base || path.startsWith(base + '/')) ? path.slice(base.length) || '/' : path;

// Every <a href="/…"> and <img src="/…"> the pages render gets the prefix, so links work when
// opened in a new tab too, without each page knowing of it.
export function prefixLinks() {
  if (!base) return;
  const previous = options.vnode;
  options.vnode = (vnode) => {
    const p = vnode.props;
    if (vnode.type === 'a' && typeof p.href === 'string') p.href = withBase(p.href);
    if (vnode.type === 'img' && typeof p.src === 'string') p.src = withBase(p.src);
    previous?.(vnode);
  };
}
