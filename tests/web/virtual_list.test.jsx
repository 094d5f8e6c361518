// The virtualised list renders only the rows near the viewport, and the keyboard reaches all.
import { describe, it, expect, beforeEach } from 'vitest';
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
const mount = () => act(() => render(<VirtualList rows={rows} rowHeight={50} label="Nodes" renderRow={renderRow} rowKey={(r) => r.id} />, root));
const focusedIndex = () => document.activeElement.closest('[data-index]')?.dataset.index;
const press = (key) => act(() => { document.activeElement.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true })); });

describe('VirtualList', () => {
  it('renders a window of 5,000 rows, positioned in a list as tall as all of them', async () => {
    await mount();
    const list = root.querySelector('ul');
    expect(list.getAttribute('aria-label')).toBe('Nodes');
    expect(list.style.height).toBe('250000px');
    const items = root.querySelectorAll('li');
    expect(items.length).toBeGreaterThan(10);
    expect(items.length).toBeLessThan(60);
    expect(items[0].getAttribute('aria-setsize')).toBe('5000');
    expect(items[3].style.top).toBe('150px');
  });

  it('moves the focus with the arrow keys, Home and End, rendering rows it reaches', async () => {
    await mount();
    root.querySelector('[data-index="0"] a').focus();
    await press('ArrowDown');
    expect(focusedIndex()).toBe('1');
    await press('End');
    expect(focusedIndex()).toBe('4999');
    expect(document.activeElement.textContent).toBe('node-4999');
    expect(root.querySelectorAll('li').length).toBeLessThan(60);
    await press('ArrowUp');
    expect(focusedIndex()).toBe('4998');
    await press('Home');
    expect(focusedIndex()).toBe('0');
    await press('Enter');  // not a list key: the link's own business
    expect(focusedIndex()).toBe('0');
  });
});
