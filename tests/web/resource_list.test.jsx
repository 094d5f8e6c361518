// The shared pieces of list pages against a fake server: useResourceList (pages, "More",
// loading and error states, reads again on events, leaves a grown list alone, deletes with a
// confirmation), ResourceTable, EditorForm and useEditing, CanWrite from the session, and the
// key=value field (its rows, and the server's errors on an entry's row).
import { describe, it, beforeAll, afterAll, beforeEach, afterEach } from 'vitest';
import assert from 'node:assert/strict';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { route, reset, calls, sockets, until, startLive } from './fake_server.js';
import { start, stop } from '../../web/src/live.js';
import { useForm, Field } from '../../web/src/ui.jsx';
import { Session, CanWrite, can } from '../../web/src/session.jsx';
import { useResourceList, useEditing, ResourceTable, EditorForm } from '../../web/src/components/resource_list.jsx';
import { KeyValueField, toPairs, fromPairs } from '../../web/src/components/key_value.jsx';

let root;
const text = () => root.textContent;
const input = (el, value) => {
  el.value = value;
  el.dispatchEvent(new Event('input', { bubbles: true }));
};
const button = (label) => [...root.querySelectorAll('button')].find((b) => b.textContent === label);
const submit = () => root.querySelector('form').dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
const page = (data, n, total) => ({
  status: 200,
  json: { success: true, data, pagination: { page: n, total_pages: total, has_next: n < total } },
});
let nextEvent = 50;
const event = (kind) =>
  act(() =>
    sockets[0].receive({
      type: 'event',
      topic: 'events',
      data: { id: nextEvent++, topic: 'alerts', kind, at: new Date().toISOString(), data: {} },
    }),
  );

beforeAll(() => startLive(start));
afterAll(() => stop());
beforeEach(() => {
  reset();
  document.body.innerHTML = '<div id="root"></div>';
  root = document.getElementById('root');
  globalThis.confirm = () => true;
});
afterEach(() => render(null, root));

const COLUMNS = [
  { label: 'Name', cell: (t) => t.name },
  { label: 'Size', props: { class: 'num' }, cell: (t) => t.size },
];

function Things({ options = {} }) {
  const list = useResourceList('/api/v1/things', {
    noun: 'things',
    perPage: 2,
    reloadOn: (e) => e.kind === 'thing.changed',
    ...options,
  });
  return (
    <ResourceTable
      list={list}
      class="things"
      columns={COLUMNS}
      empty="No things."
      more="More things"
      row={(t) => ({ 'data-thing': t.id })}
      actions={(t) => (
        <CanWrite>
          <button type="button" onClick={() => list.remove(`/api/v1/things/${t.id}`, 'Sure?', `${t.name} deleted.`)}>
            Delete
          </button>
        </CanWrite>
      )}
    />
  );
}

describe('useResourceList and ResourceTable', () => {
  it('shows loading, then a page; More appends the next; an event does not drop the grown list', async () => {
    const things = [1, 2, 3].map((id) => ({ id, name: `t${id}`, size: id * 10 }));
    route('GET', '/api/v1/things', (req) => {
      const n = +req.query.get('page');
      return page(things.slice((n - 1) * 2, n * 2), n, 2);
    });
    await act(() => render(<Things />, root));
    assert.equal(root.querySelector('.loading').textContent, 'Loading…');
    await until(() => root.querySelector('[data-thing="2"]'), 'the first page');
    assert.deepEqual(
      [...root.querySelectorAll('th')].map((th) => th.textContent),
      ['Name', 'Size', 'Actions'],
    );
    assert.equal(root.querySelector('[data-thing="1"] td.num').textContent, '10');
    assert.equal(calls.at(-1).query.get('per_page'), '2');
    await act(() => button('More things').click());
    await until(() => root.querySelector('[data-thing="3"]'), 'the second page');
    assert.equal(button('More things'), undefined, 'no third page');
    const reads = calls.length;
    await event('thing.changed');
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(calls.length, reads, 'a list grown by More is not read again by an event');
  });

  it('reads again on its events only, debounced, and shows errors and the empty text', async () => {
    let fail = true;
    route('GET', '/api/v1/things', () =>
      fail ? { status: 500, json: { success: false, error: { code: 'INTERNAL', message: 'boom' } } } : [],
    );
    await act(() => render(<Things options={{ debounceMs: 20 }} />, root));
    await until(() => text().includes('Could not load the things: boom'), 'the error');
    assert.equal(root.querySelector('.loading'), null);
    fail = false;
    await event('other.kind');
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(calls.filter((c) => c.path === '/api/v1/things').length, 1);
    await event('thing.changed');
    await event('thing.changed');
    await until(() => text().includes('No things.'), 'the empty list');
    assert.equal(calls.filter((c) => c.path === '/api/v1/things').length, 2, 'a burst reads once');
    assert.equal(root.querySelector('[role=alert]'), null, 'a good read clears the error');
  });

  it('deletes after a confirmation, says so and reads again; a refusal leaves it', async () => {
    const things = [{ id: 1, name: 'a', size: 1 }];
    route('GET', '/api/v1/things', () => things);
    route('DELETE', '/api/v1/things/1', () => {
      things.pop();
      return { status: 204, json: {} };
    });
    await act(() => render(<Things options={{ all: true }} />, root));
    await until(() => root.querySelector('[data-thing="1"]'), 'the list');
    assert.equal(calls[0].query.get('per_page'), '500', 'all: read in pages of 500');
    globalThis.confirm = () => false;
    await act(() => button('Delete').click());
    assert.ok(!calls.some((c) => c.method === 'DELETE'));
    globalThis.confirm = () => true;
    await act(() => button('Delete').click());
    await until(() => text().includes('No things.'), 'the deletion');
    assert.equal(root.querySelector('[role=status]').textContent, 'a deleted.');
  });

  it('reads nothing while skipped', async () => {
    await act(() => render(<Things options={{ skip: true }} />, root));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(calls.filter((c) => c.path === '/api/v1/things').length, 0);
    assert.equal(root.querySelector('.loading'), null);
  });
});

function Editing() {
  const list = useResourceList('/api/v1/things', { all: true });
  const editor = useEditing(list);
  const form = useForm({ name: editor.item?.name ?? '' });
  const work = async (v) => {
    if (!v.name) throw { fields: [{ field: 'name', message: 'Required.' }] };
    editor.saved(`${v.name} saved.`);
  };
  return (
    <>
      <CanWrite>
        {!editor.open && (
          <button type="button" onClick={() => editor.start()}>
            New
          </button>
        )}
      </CanWrite>
      {editor.open && (
        <EditorForm form={form} work={work} title="New thing" titleId="t" submit="Create" onCancel={editor.close}>
          <Field form={form} name="name" label="Name">
            <input {...form.bind('name')} />
          </Field>
        </EditorForm>
      )}
      <ResourceTable list={list} columns={COLUMNS} empty="No things." />
    </>
  );
}

describe('EditorForm, useEditing and CanWrite', () => {
  it('opens a form, shows a field error, saves, closes and reads the list again', async () => {
    route('GET', '/api/v1/things', []);
    await act(() => render(<Editing />, root));
    await act(() => button('New').click());
    assert.equal(root.querySelector('form').getAttribute('aria-labelledby'), 't');
    assert.equal(root.querySelector('#t').textContent, 'New thing');
    assert.equal(button('New'), undefined);
    await act(() => submit());
    await until(() => root.querySelector('#f-name-err'), 'the field error');
    assert.equal(root.querySelector('.form-error').textContent, 'Please correct the highlighted fields.');
    await act(() => input(root.querySelector('#f-name'), 'x'));
    await act(() => submit());
    await until(() => text().includes('x saved.'), 'the notice');
    assert.equal(root.querySelector('form'), null);
    assert.equal(calls.filter((c) => c.path === '/api/v1/things').length, 2);
    await act(() => button('New').click());
    await act(() => button('Cancel').click());
    assert.equal(root.querySelector('form'), null);
  });

  it('hides write controls and submit buttons from viewers, not from operators', async () => {
    route('GET', '/api/v1/things', [{ id: 1, name: 'a', size: 1 }]);
    const as = (role) =>
      act(() =>
        render(
          <Session.Provider value={{ user: 'u', role }}>
            <Things options={{ all: true }} />
            <Editing />
          </Session.Provider>,
          root,
        ),
      );
    await as('viewer');
    await until(() => root.querySelector('[data-thing="1"]'), 'the list');
    assert.equal(button('Delete'), undefined);
    assert.equal(button('New'), undefined);
    await as('operator');
    assert.ok(button('Delete') && button('New'));
    await act(() => button('New').click());
    assert.ok(button('Create'));
    await as('viewer');
    assert.equal(button('Create'), undefined, 'a form open when the role changes keeps no submit');
    assert.equal(can({ role: 'api' }), false);
    assert.equal(can({ role: 'operator' }, 'admin'), false);
    assert.equal(can({ role: 'admin' }, 'admin'), true);
    assert.equal(can(null), true, 'outside a session the server decides');
  });
});

function KV({ initial, onSubmit }) {
  const form = useForm({ labels: initial });
  return (
    <form onSubmit={(e) => form.submit(e, async (v) => onSubmit(fromPairs(v.labels, 'labels')))}>
      <KeyValueField form={form} name="labels" label="Labels" help="Help." />
    </form>
  );
}

describe('KeyValueField', () => {
  it('converts maps to rows and back: blank rows and empty values left out, a nameless value refused', () => {
    assert.deepEqual(toPairs({ a: '1', b: 2 }), [
      ['a', '1'],
      ['b', '2'],
    ]);
    assert.deepEqual(
      fromPairs(
        [
          [' a ', ' 1 '],
          ['', ''],
          ['summary', ''],
        ],
        'x',
      ),
      { a: '1' },
    );
    assert.throws(
      () => fromPairs([['', 'v']], 'x'),
      (e) => e.fields[0].field === 'x',
    );
    assert.throws(
      () =>
        fromPairs(
          [
            ['a', '1'],
            ['a', '2'],
          ],
          'x',
        ),
      (e) => e.fields[0].field === 'x.a',
    );
  });

  it('edits rows, keeps one blank row to add to, removes a row, and puts the server’s errors on the entry', async () => {
    let sent = null;
    const onSubmit = (labels) => {
      sent = labels;
      if (labels['9x'])
        throw { fields: [{ field: 'labels.9x', message: 'is not a valid label name' }], message: 'invalid' };
    };
    await act(() => render(<KV initial={toPairs({ site: 'lab' })} onSubmit={onSubmit} />, root));
    const rows = () => [...root.querySelectorAll('.kv-row')];
    assert.equal(rows().length, 2, 'the entry and a blank row');
    assert.equal(root.querySelector('#f-labels').value, 'site', 'the first name input carries the field id');
    await act(() => input(root.querySelector('[aria-label="Labels key 2"]'), '9x'));
    await act(() => input(root.querySelector('[aria-label="Labels value 2"]'), 'y'));
    assert.equal(rows().length, 3, 'a new blank row');
    await act(() => submit());
    await until(() => root.querySelector('#f-labels-9x-err'), 'the entry error');
    assert.deepEqual(sent, { site: 'lab', '9x': 'y' });
    assert.equal(root.querySelector('#f-labels-9x-err').textContent, '9x: is not a valid label name');
    assert.equal(root.querySelector('[aria-label="Labels value 2"]').getAttribute('aria-invalid'), 'true');
    await act(() => root.querySelector('[aria-label="Remove 9x"]').click());
    assert.equal(root.querySelector('#f-labels-9x-err'), null, 'the error goes with its row');
    assert.equal(rows().length, 2);
    await act(() => submit());
    await until(() => sent && !sent['9x'], 'the second submit');
    assert.deepEqual(sent, { site: 'lab' });
    await act(() => input(root.querySelector('[aria-label="Labels value 2"]'), 'orphan'));
    await act(() => submit());
    await until(() => root.querySelector('#f-labels-err'), 'the field error');
    assert.match(root.querySelector('#f-labels-err').textContent, /has no name/);
  });
});

describe('rule editor defaults', () => {
  it('saves a first rule left at the defaults: the empty summary is left out, which the server accepts', async () => {
    const { RuleEditor } = await import('../../web/src/pages/rules.jsx');
    route('GET', '/api/v1/checks', []);
    route('GET', '/api/v1/channels', []);
    route('GET', '/prometheus/api/v1/query', { resultType: 'vector', result: [] });
    route('POST', '/api/v1/alert-rules', (req) => ({
      status: 201,
      json: { success: true, data: { id: 9, ...req.body } },
    }));
    await act(() => render(<RuleEditor />, root));
    assert.equal(root.querySelector('#f-annotations').value, 'summary', 'a summary entry is offered');
    await act(() => input(root.querySelector('#f-name'), 'Up'));
    await act(() => input(root.querySelector('#f-expr'), 'up == 0'));
    await act(() => submit());
    await until(() => calls.some((c) => c.method === 'POST'), 'the create');
    const body = calls.find((c) => c.method === 'POST').body;
    assert.deepEqual(body.annotations, {});
    assert.deepEqual(body.labels, {});
  });
});
