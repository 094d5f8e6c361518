// The virtualised list renders only the rows near the viewport, and the keyboard reaches all.
import { describe, it, beforeEach } from 'vitest';
import assert from 'node:assert/strict';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { VirtualList } from '../../web/src/components/virtual_list.jsx';

const rows = Array.from({ length: 5000 }, (_, i) => ({ id: i, name: `node-${i}` }));
const renderRow = (r) => <a href={`/nodes/${r.id}`}>{r.name}</a>;
let root;
beforeEach(() => {
  document.body.innerHTML = '<div id="root"></div>';
  root = document.getElementById('root');
});
const mount = () =>
  act(() =>
    render(<VirtualList rows={rows} rowHeight={50} label="Nodes" renderRow={renderRow} rowKey={(r) => r.id} />, root),
  );
const focusedIndex = () => document.activeElement.closest('[data-index]')?.dataset.index;
const press = (key) =>
  act(() => {
    document.activeElement.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true }));
  });

describe('VirtualList', () => {
  it('renders a window of 5,000 rows, positioned in a list as tall as all of them', async () => {
    await mount();
    const list = root.querySelector('ul');
    assert.equal(list.getAttribute('aria-label'), 'Nodes');
    assert.equal(list.style.height, '250000px');
    const items = root.querySelectorAll('li');
    assert.ok(items.length > 10);
    assert.ok(items.length < 60);
    assert.equal(items[0].getAttribute('aria-setsize'), '5000');
    assert.equal(items[3].style.top, '150px');
  });

  it('moves the focus with the arrow keys, Home and End, rendering rows it reaches', async () => {
    await mount();
    root.querySelector('[data-index="0"] a').focus();
    await press('ArrowDown');
    assert.equal(focusedIndex(), '1');
    await press('End');
    assert.equal(focusedIndex(), '4999');
    assert.equal(document.activeElement.textContent, 'node-4999');
    assert.ok(root.querySelectorAll('li').length < 60);
    await press('ArrowUp');
    assert.equal(focusedIndex(), '4998');
    await press('Home');
    assert.equal(focusedIndex(), '0');
    await press('Enter'); // not a list key: the link's own business
    assert.equal(focusedIndex(), '0');
  });
});
