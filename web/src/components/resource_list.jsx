// Lists of API resources, the one way every list page reads, shows and changes them:
// useResourceList (the pages of GET <path>, loading and error states, live updates from the
// event stream, deleting with a confirmation), ListView and ResourceTable (the states and rows),
// EditorForm (the form that creates or edits one), useEditing (which form is open) and
// ListPage (the page around them).
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, getAll, post, patch, del, qs } from '../api.js';
import { useEvents } from '../live.js';
import { Field, FormAlert, Page } from '../ui.jsx';
import { useCan } from '../session.jsx';

// Creates the resource (POST path) or, given the stored one, changes it (PATCH path/id); returns
// the resource as stored.
export async function saveResource(path, stored, body) {
  return (await (stored ? patch(`${path}/${stored.id}`, body) : post(path, body))).data;
}

// The name and comment rows of a named setting's editor; `comment` hints at what to write.
export function NameAndComment({ form, comment }) {
  return (
    <>
      <Field form={form} name="name" label="Name">
        <input {...form.bind('name')} autocomplete="off" required autoFocus />
      </Field>
      <Field form={form} name="comment" label="Comment">
        <input {...form.bind('comment')} autocomplete="off" placeholder={comment} />
      </Field>
    </>
  );
}

// Asks `question`, then DELETEs `path`: false when not confirmed; throws the API's error.
export async function confirmDelete(path, question) {
  if (!confirm(question)) return false;
  await del(path);
  return true;
}

// The list at `path` (named `noun` in messages). Options:
//   params      query parameters; a change reads the list anew
//   all         read every page at once (small lists of settings), else a page at a time
//   perPage     the page size when paged (per_page)
//   pageParams  (n, items, pagination) -> the query of page n, for APIs paged otherwise (a
//               cursor); pagination is the last page's
//   filter      (item) -> whether to keep an item read (what the API cannot filter itself)
//   reloadOn    (event) -> whether the event changes the list: it is read again
//   onEvent     (event, list) -> applies an event itself (list.setItems), instead
//   debounceMs  wait this long after an event before reading again (bursts read once)
//   pollMs      read again this often (for what changes without events)
//   skip        read nothing (the parameters are not valid yet)
//   numbered    the caller shows one numbered page (params.page) with list.pagination, no "More"
// Automatic reads (events, polling) leave alone a list grown by "More".
export function useResourceList(path, options = {}) {
  const opts = useRef(null);
  opts.current = { path, ...options };
  const key = path + JSON.stringify(options.params || {}) + (options.skip ? ' skip' : '');
  const [items, setItems] = useState(null);
  const [more, setMore] = useState(false);
  const [pagination, setPagination] = useState(null);
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const shown = useRef({ items: null, pages: 0, paging: null, seq: 0, timer: 0 }).current;
  shown.items = items;

  // Reads page n (1: the list anew); a read overtaken by a newer one is dropped.
  const read = async (n = 1) => {
    const { path, params = {}, all, perPage = 100, pageParams, filter, numbered, noun = 'list' } = opts.current;
    const seq = ++shown.seq;
    try {
      let data;
      let paging = null;
      if (all) data = await getAll(path, params);
      else {
        const page = pageParams ? pageParams(n, shown.items, shown.paging) : { page: n, per_page: perPage };
        const r = await get(path + qs({ ...page, ...params }));
        data = r.data;
        paging = r.pagination || null;
      }
      if (seq !== shown.seq) return;
      if (filter) data = data.filter(filter);
      shown.pages = n;
      shown.paging = paging;
      setItems((list) => (n > 1 ? [...(list || []), ...data] : data));
      setMore(!numbered && !!paging?.has_next);
      setPagination(paging);
      setError('');
    } catch (err) {
      if (seq === shown.seq) setError(`Could not load the ${noun}: ${err.message}`);
    }
  };
  const refresh = () => {
    if (shown.pages > 1) return;
    clearTimeout(shown.timer);
    shown.timer = setTimeout(() => read(1), opts.current.debounceMs || 0);
  };

  useEffect(() => {
    setItems(null);
    setMore(false);
    shown.pages = 0;
    if (!options.skip) read(1);
    const poll = options.pollMs ? setInterval(refresh, options.pollMs) : 0;
    return () => {
      clearInterval(poll);
      clearTimeout(shown.timer);
      shown.seq++;
    };
  }, [key]);

  const list = {
    items,
    setItems,
    more,
    pagination,
    error,
    setError,
    notice,
    setNotice,
    skipped: !!options.skip,
    reload: () => read(1),
    refresh,
    loadMore: () => read(shown.pages + 1),
    // Asks, deletes, says `done` and reads the list again; a failure shows as `failed: …`.
    async remove(path, question, done = '', failed = 'Could not delete it') {
      try {
        if (!(await confirmDelete(path, question))) return;
      } catch (err) {
        setError(`${failed}: ${err.message}`);
        return;
      }
      setNotice(done);
      read(1);
    },
  };
  useEvents(
    (e) => {
      const o = opts.current;
      o.onEvent?.(e, list);
      if (o.reloadOn?.(e)) refresh();
    },
    [key],
  );
  return list;
}

// What a list shows: its notice and error, "Loading…", the empty text or the items
// (children(items)), and a "More" button while there are more pages.
export function ListView({ list, empty, more = 'More', children }) {
  let body;
  if (list.items === null) body = !list.skipped && !list.error && <p class="loading">Loading…</p>;
  else body = list.items.length === 0 ? <p>{empty}</p> : children(list.items);
  return (
    <>
      {list.notice && (
        <p class="notice" role="status">
          {list.notice}
        </p>
      )}
      {list.error && (
        <p class="error" role="alert">
          {list.error}
        </p>
      )}
      {body}
      {list.more && (
        <button type="button" onClick={list.loadMore}>
          {more}
        </button>
      )}
    </>
  );
}

// A list as a table. columns: [{label, cell(item), props?: attributes of its cells}];
// row(item): attributes of its row; actions(item): the last cell's buttons (a column whose
// heading only screen readers hear).
export function ResourceTable({ list, class: cls, columns, row, actions, empty, more }) {
  return (
    <ListView list={list} empty={empty} more={more}>
      {(items) => (
        <table class={cls}>
          <thead>
            <tr>
              {columns.map((c) => (
                <th scope="col">{c.label}</th>
              ))}
              {actions && (
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {items.map((item) => (
              <tr key={item.id} {...row?.(item)}>
                {columns.map((c) => (
                  <td {...c.props}>{c.cell(item)}</td>
                ))}
                {actions && <td class="row-actions">{actions(item)}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </ListView>
  );
}

// Which editor a list page shows: none, a new item's ('new') or an item's. saved(text) closes
// it, says what was done and reads the list again.
export function useEditing(list, initial = null) {
  const [editing, setEditing] = useState(initial);
  return {
    open: !!editing,
    item: editing === 'new' ? null : editing,
    key: editing === 'new' ? 'new' : editing?.id,
    start: (item = 'new') => {
      setEditing(item);
      list.setNotice('');
    },
    close: () => setEditing(null),
    saved: (text) => {
      setEditing(null);
      list.setNotice(text);
      list.reload();
    },
  };
}

// The form that creates or edits one resource: its title (an h2 unless `heading` says
// otherwise), the form's alert, the fields, and the buttons: submit, Cancel (with onCancel),
// `extra`, and the `status` text. work(values) saves; useForm places the server's errors. Those
// who may not change it (useCan(role)) get no submit button.
export function EditorForm(props) {
  const { form, work, title, titleId, submit, onCancel, extra, status, children, onSubmit } = props;
  const Heading = props.heading || 'h2';
  const writer = useCan(props.role);
  return (
    <form
      class={props.class ?? 'card editor-form'}
      noValidate
      aria-labelledby={title ? titleId : undefined}
      onSubmit={(e) => {
        onSubmit?.();
        form.submit(e, work);
      }}
    >
      {title && <Heading id={titleId}>{title}</Heading>}
      <FormAlert form={form} />
      {children}
      <div class="actions left">
        {writer && (
          <button type="submit" class="primary" disabled={form.busy}>
            {submit}
          </button>
        )}
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
        {extra}
        {status !== undefined && (
          <span role="status" class="muted">
            {status}
          </span>
        )}
      </div>
    </form>
  );
}

// The page of a list of one kind of resource: the title row (with `nav`, and for those who may
// change things the control that makes a new one: `create` = {label, href} for a page of its
// own, {label, editing} for useEditing's form), then the children (an introduction, the open
// editor, filters), the list as a table (`table`: ResourceTable's props) and `after`.
export function ListPage({ id, title, nav, create, list, table, children, after }) {
  const writer = useCan();
  let action = null;
  if (writer && create?.href)
    action = (
      <a class="button primary" href={create.href}>
        {create.label}
      </a>
    );
  else if (writer && create?.editing && !create.editing.open)
    action = (
      <button type="button" class="primary" onClick={() => create.editing.start()}>
        {create.label}
      </button>
    );
  return (
    <Page id={id} title={title} nav={nav} actions={action}>
      {children}
      <ResourceTable list={list} {...table} />
      {after}
    </Page>
  );
}

// An editor that cannot be shown (its resource or its kinds did not load): why, and the way back.
export function EditorError({ title, error, back, backLabel }) {
  return (
    <section class="card narrow">
      <h1>{title}</h1>
      <p class="error" role="alert">
        {error}
      </p>
      <a href={back}>{backLabel}</a>
    </section>
  );
}
