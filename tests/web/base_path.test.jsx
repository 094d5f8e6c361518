// The UI under a base path (serve --base-path): the prefix index.html names is added to the
// app's paths where they leave the app (fetch, the address bar, links) and taken off the
// address, and paths that already carry it are left alone.
import { describe as suite, it, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { h } from 'preact';

let base, router;
beforeAll(async () => {
  const meta = document.createElement('meta');
  meta.name = 'telltale-base';
  meta.content = '/tt';
  document.head.append(meta); // before base.js is first imported: it reads the meta once
  base = await import('../../web/src/base.js');
  router = await import('../../web/src/router.js');
  base.prefixLinks();
});
afterAll(() => {
  document.querySelector('meta[name="telltale-base"]').remove();
  history.replaceState(null, '', '/');
});

suite('base path', () => {
  it('is read from index.html', () => {
    assert.equal(base.base, '/tt');
  });
  it('is added to the app paths, once', () => {
    assert.equal(base.withBase('/api/v1/nodes'), '/tt/api/v1/nodes');
    assert.equal(base.withBase('/'), '/tt/');
    assert.equal(base.withBase('/tt/events'), '/tt/events');
    assert.equal(base.withBase('https://example.com/x'), 'https://example.com/x');
    assert.equal(base.withBase('//cdn/x'), '//cdn/x');
    assert.equal(base.withBase('#main'), '#main');
  });
  it('is taken off the address', () => {
    assert.equal(base.withoutBase('/tt/nodes/4'), '/nodes/4');
    assert.equal(base.withoutBase('/tt'), '/');
    assert.equal(base.withoutBase('/ttx/nodes'), '/ttx/nodes');
  });
  it('is in the address bar after navigating, and not in the path the pages see', () => {
    router.navigate('/events');
    assert.equal(location.pathname, '/tt/events');
    // A page's own pathname (as overview.jsx passes for its filters) is not prefixed twice.
    router.navigate(location.pathname + '?q=x', { replace: true });
    assert.equal(location.pathname + location.search, '/tt/events?q=x');
  });
  it('is added to the links and images the pages render', () => {
    assert.equal(h('a', { href: '/nodes/4' }).props.href, '/tt/nodes/4');
    assert.equal(h('a', { href: '#main' }).props.href, '#main');
    assert.equal(h('img', { src: '/icon.svg' }).props.src, '/tt/icon.svg');
  });
});
