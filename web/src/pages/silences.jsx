// Silences: the active and future ones (expired on request), a form to create one (prefilled
// from an alert's "Silence" link: ?new=1&matchers=…), and "expire now".
import { useState } from 'preact/hooks';
import { post } from '../api.js';
import { Time, useForm, Field } from '../ui.jsx';
import { CanWrite } from '../session.jsx';
import { useResourceList, useEditing, ListPage, EditorForm } from '../components/resource_list.jsx';
import { AlertsNav, StateBadge } from './alerts.jsx';

// A Date as the value of <input type="datetime-local"> (local time, minutes).
export function toLocalInput(d) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

// The form's values as the API's body; a start left empty means now.
export function silenceBody(v) {
  const body = {
    matchers: v.matchers.trim(),
    ends_at: v.ends_at ? new Date(v.ends_at).toISOString() : '',
    comment: v.comment.trim(),
  };
  if (v.starts_at) body.starts_at = new Date(v.starts_at).toISOString();
  return body;
}

const DURATIONS = [
  ['1 h', 3600e3],
  ['4 h', 4 * 3600e3],
  ['1 day', 86400e3],
  ['1 week', 7 * 86400e3],
];

function SilenceForm({ matchers, onCreated, onCancel }) {
  const form = useForm({
    matchers: matchers || '',
    starts_at: '',
    ends_at: toLocalInput(new Date(Date.now() + 2 * 3600e3)),
    comment: '',
  });
  const work = async (v) => {
    if (!v.ends_at) throw { fields: [{ field: 'ends_at', message: 'Required.' }] };
    onCreated((await post('/api/v1/silences', silenceBody(v))).data);
  };
  const endIn = (ms) =>
    form.set(
      'ends_at',
      toLocalInput(new Date((form.values.starts_at ? new Date(form.values.starts_at).getTime() : Date.now()) + ms)),
    );
  return (
    <EditorForm
      form={form}
      work={work}
      class="card editor-form silence-form"
      title="New silence"
      titleId="new-silence"
      submit="Create silence"
      onCancel={onCancel}
    >
      <Field
        form={form}
        name="matchers"
        label="Matchers"
        help={'A selector over alert labels: =, !=, =~, !~, e.g. {alertname="DiskFull", node=~"gw.*"}.'}
      >
        <input
          {...form.bind('matchers')}
          autocomplete="off"
          spellcheck={false}
          required
          placeholder='{alertname="…"}'
          autoFocus={!matchers}
        />
      </Field>
      <div class="grid">
        <Field form={form} name="starts_at" label="Starts" help="Empty: now.">
          <input {...form.bind('starts_at')} type="datetime-local" />
        </Field>
        <Field form={form} name="ends_at" label="Ends">
          <input {...form.bind('ends_at')} type="datetime-local" required />
        </Field>
      </div>
      <div class="seg" role="group" aria-label="End after">
        {DURATIONS.map(([label, ms]) => (
          <button type="button" onClick={() => endIn(ms)}>
            {label}
          </button>
        ))}
      </div>
      <Field form={form} name="comment" label="Comment">
        <textarea {...form.bind('comment')} rows={2} autoFocus={!!matchers} placeholder="Why, and until when" />
      </Field>
    </EditorForm>
  );
}

const COLUMNS = [
  { label: 'State', cell: (s) => <StateBadge state={s.state} /> },
  { label: 'Matchers', cell: (s) => <code>{s.matchers}</code> },
  {
    label: 'Window',
    props: { class: 'small' },
    cell: (s) => (
      <>
        <time datetime={s.starts_at}>{new Date(s.starts_at).toLocaleString()}</time> –{' '}
        <time datetime={s.ends_at}>{new Date(s.ends_at).toLocaleString()}</time>
      </>
    ),
  },
  {
    label: 'Comment',
    props: { class: 'small' },
    cell: (s) => (
      <>
        {s.comment}
        <div class="muted">
          {s.created_by}, <Time at={s.created_at} />
        </div>
      </>
    ),
  },
];

export function Silences({ query }) {
  const [expired, setExpired] = useState(false);
  const list = useResourceList('/api/v1/silences', {
    noun: 'silences',
    all: true,
    params: { expired: expired ? 'true' : '' },
    reloadOn: (e) => e.kind === 'silence.created' || e.kind === 'silence.expired',
  });
  const editor = useEditing(list, query.get('new') === '1' ? 'new' : null);
  const expire = (s) =>
    list.remove(`/api/v1/silences/${s.id}`, `Expire the silence ${s.matchers} now?`, '', 'Could not expire it');
  return (
    <ListPage
      id="silences-title"
      title="Silences"
      nav={<AlertsNav here="/silences" />}
      create={{ label: 'New silence', editing: editor }}
      list={list}
      table={{
        class: 'silences',
        columns: COLUMNS,
        empty: 'No silences.',
        row: (s) => ({ 'data-silence': s.id }),
        actions: (s) =>
          s.state !== 'expired' && (
            <CanWrite>
              <button type="button" class="danger" onClick={() => expire(s)}>
                Expire
              </button>
            </CanWrite>
          ),
      }}
    >
      {editor.open && (
        <CanWrite>
          <SilenceForm
            matchers={query.get('matchers')}
            onCancel={editor.close}
            onCreated={(s) => editor.saved(`Silence ${s.matchers} created.`)}
          />
        </CanWrite>
      )}
      <div class="field check">
        <label>
          <input type="checkbox" checked={expired} onChange={(e) => setExpired(e.currentTarget.checked)} /> Show expired
          silences
        </label>
      </div>
    </ListPage>
  );
}
