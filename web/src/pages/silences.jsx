// Silences: the active and future ones (expired on request), a form to create one (prefilled
// from an alert's "Silence" link: ?new=1&matchers=…), and "expire now".
import { useEffect, useState } from 'preact/hooks';
import { get, post, del, qs } from '../api.js';
import { useEvents } from '../live.js';
import { Time, useForm, Field, FormAlert } from '../ui.jsx';
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
    <form
      class="card silence-form writes"
      noValidate
      onSubmit={(e) => form.submit(e, work)}
      aria-labelledby="new-silence"
    >
      <h2 id="new-silence">New silence</h2>
      <FormAlert form={form} />
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
      <div class="actions left">
        <button type="submit" class="primary" disabled={form.busy}>
          Create silence
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function Silences({ query }) {
  const [list, setList] = useState(null);
  const [expired, setExpired] = useState(false);
  const [creating, setCreating] = useState(query.get('new') === '1');
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const load = async () => {
    try {
      setList((await get('/api/v1/silences' + qs({ expired: expired ? 'true' : '', per_page: 500 }))).data);
    } catch (err) {
      setError(`Could not load the silences: ${err.message}`);
    }
  };
  useEffect(() => {
    document.title = 'Silences · Telltale';
  }, []);
  useEffect(() => {
    load();
  }, [expired]);
  useEvents(
    (e) => {
      if (e.kind === 'silence.created' || e.kind === 'silence.expired') load();
    },
    [expired],
  );
  const expire = async (s) => {
    if (!confirm(`Expire the silence ${s.matchers} now?`)) return;
    try {
      await del(`/api/v1/silences/${s.id}`);
      load();
    } catch (err) {
      setError(`Could not expire it: ${err.message}`);
    }
  };
  return (
    <section aria-labelledby="silences-title">
      <div class="head">
        <h1 id="silences-title" tabIndex={-1}>
          Silences
        </h1>
        <AlertsNav here="/silences" />
        <span class="spacer" />
        {!creating && (
          <button
            type="button"
            class="primary writes"
            onClick={() => {
              setCreating(true);
              setNotice('');
            }}
          >
            New silence
          </button>
        )}
      </div>
      {creating && (
        <SilenceForm
          matchers={query.get('matchers')}
          onCancel={() => setCreating(false)}
          onCreated={(s) => {
            setCreating(false);
            setNotice(`Silence ${s.matchers} created.`);
            load();
          }}
        />
      )}
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="field check">
        <label>
          <input type="checkbox" checked={expired} onChange={(e) => setExpired(e.currentTarget.checked)} /> Show expired
          silences
        </label>
      </div>
      {list === null ? (
        <p class="loading">Loading…</p>
      ) : list.length === 0 ? (
        <p>No silences.</p>
      ) : (
        <table class="silences">
          <thead>
            <tr>
              <th scope="col">State</th>
              <th scope="col">Matchers</th>
              <th scope="col">Window</th>
              <th scope="col">Comment</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((s) => (
              <tr key={s.id} data-silence={s.id}>
                <td>
                  <StateBadge state={s.state} />
                </td>
                <td>
                  <code>{s.matchers}</code>
                </td>
                <td class="small">
                  <time datetime={s.starts_at}>{new Date(s.starts_at).toLocaleString()}</time> –{' '}
                  <time datetime={s.ends_at}>{new Date(s.ends_at).toLocaleString()}</time>
                </td>
                <td class="small">
                  {s.comment}
                  <div class="muted">
                    {s.created_by}, <Time at={s.created_at} />
                  </div>
                </td>
                <td>
                  {s.state !== 'expired' && (
                    <button type="button" class="danger writes" onClick={() => expire(s)}>
                      Expire
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
