// Inhibit rules (Alertmanager's inhibit_rules): while a firing alert matches a rule's source
// selector, the alerts matching its target selector that carry the source's values of the
// `equal` labels are muted. The list, kept current by inhibit_rule.* events, and a form to create
// or edit one; viewers only read (the API would refuse them with 403 anyway).
import { useEffect, useState } from 'preact/hooks';
import { get, post, patch, del, qs } from '../api.js';
import { useEvents } from '../live.js';
import { Time, useForm, Field, FormAlert, labelNames } from '../ui.jsx';
import { AlertsNav } from './alerts.jsx';

export const emptyInhibitRule = () => ({ name: '', comment: '', source: '', target: '', equal: '' });

// A stored rule as form values (keys named as the server's 422 fields, so errors land on them).
export const inhibitValues = (r) => ({
  name: r.name,
  comment: r.comment || '',
  source: r.source,
  target: r.target,
  equal: (r.equal || []).join(', '),
});

// The form's values as the API's body; a PATCH sends every field, so an emptied one is cleared.
export const inhibitBody = (v) => ({
  name: v.name.trim(),
  comment: v.comment.trim(),
  source: v.source.trim(),
  target: v.target.trim(),
  equal: labelNames(v.equal),
});

function InhibitForm({ rule, onSaved, onCancel }) {
  const form = useForm(rule ? inhibitValues(rule) : emptyInhibitRule());
  const work = async (values) => {
    const body = inhibitBody(values);
    if (rule) onSaved((await patch(`/api/v1/inhibit-rules/${rule.id}`, body)).data, 'saved');
    else onSaved((await post('/api/v1/inhibit-rules', body)).data, 'created');
  };
  return (
    <form
      class="card silence-form"
      noValidate
      onSubmit={(e) => form.submit(e, work)}
      aria-labelledby="inhibit-form-title"
    >
      <h2 id="inhibit-form-title">{rule ? `Edit ${rule.name}` : 'New inhibit rule'}</h2>
      <FormAlert form={form} />
      <div class="grid">
        <Field form={form} name="name" label="Name">
          <input {...form.bind('name')} autocomplete="off" required autoFocus />
        </Field>
        <Field form={form} name="comment" label="Comment">
          <input {...form.bind('comment')} autocomplete="off" placeholder="Why these alerts are muted" />
        </Field>
        <Field
          form={form}
          name="source"
          label="Source alerts"
          help={'While a firing alert matches this selector, e.g. {alertname="SiteDown"}.'}
        >
          <input
            {...form.bind('source')}
            autocomplete="off"
            spellcheck={false}
            required
            placeholder='{alertname="…"}'
          />
        </Field>
        <Field form={form} name="target" label="Target alerts" help={'The alerts it mutes, e.g. {severity="warning"}.'}>
          <input
            {...form.bind('target')}
            autocomplete="off"
            spellcheck={false}
            required
            placeholder='{severity="warning"}'
          />
        </Field>
        <Field
          form={form}
          name="equal"
          label="Equal labels"
          help="Label names (comma-separated) whose values the target must share with the source; a missing label equals a missing one. Empty: any target."
        >
          <input {...form.bind('equal')} autocomplete="off" spellcheck={false} placeholder="node, site" />
        </Field>
      </div>
      <div class="actions left">
        <button type="submit" class="primary" disabled={form.busy}>
          {rule ? 'Save inhibit rule' : 'Create inhibit rule'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function InhibitRules({ session }) {
  const writer = session?.role !== 'viewer';
  const [list, setList] = useState(null);
  const [editing, setEditing] = useState(null); // 'new', a rule, or null
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const load = async () => {
    try {
      setList((await get('/api/v1/inhibit-rules' + qs({ per_page: 500 }))).data);
      setError('');
    } catch (err) {
      setError(`Could not load the inhibit rules: ${err.message}`);
    }
  };
  useEffect(() => {
    document.title = 'Inhibit rules · Telltale';
    load();
  }, []);
  // Changes by others (or by the API) show at once; an open form keeps what is typed in it.
  useEvents((e) => {
    if (e.kind?.startsWith('inhibit_rule.')) load();
  }, []);
  const remove = async (r) => {
    if (!confirm(`Delete the inhibit rule “${r.name}”?`)) return;
    try {
      await del(`/api/v1/inhibit-rules/${r.id}`);
      setNotice(`Inhibit rule ${r.name} deleted.`);
      if (editing?.id === r.id) setEditing(null);
      load();
    } catch (err) {
      setError(`Could not delete it: ${err.message}`);
    }
  };
  return (
    <section aria-labelledby="inhibit-title">
      <div class="head">
        <h1 id="inhibit-title" tabIndex={-1}>
          Inhibit rules
        </h1>
        <AlertsNav here="/inhibit-rules" />
        <span class="spacer" />
        {writer && !editing && (
          <button
            type="button"
            class="primary"
            onClick={() => {
              setEditing('new');
              setNotice('');
            }}
          >
            New inhibit rule
          </button>
        )}
      </div>
      <p class="muted small">
        While a source alert fires, the target alerts with the same values of the equal labels still change state but
        notify nobody, and show “inhibited by”. An alert matching both selectors is muted only by a source that does not
        match the target too.
        {!writer && ' Viewers can read these rules; operators and admins change them.'}
      </p>
      {editing && (
        <InhibitForm
          key={editing === 'new' ? 'new' : editing.id}
          rule={editing === 'new' ? null : editing}
          onCancel={() => setEditing(null)}
          onSaved={(r, how) => {
            setEditing(null);
            setNotice(`Inhibit rule ${r.name} ${how}.`);
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
      {list === null ? (
        <p class="loading">Loading…</p>
      ) : list.length === 0 ? (
        <p>No inhibit rules: only the built-in one mutes the alerts of a node’s checks while the node is down.</p>
      ) : (
        <table class="inhibits">
          <thead>
            <tr>
              <th scope="col">Rule</th>
              <th scope="col">Source</th>
              <th scope="col">Target</th>
              <th scope="col">Equal</th>
              {writer && (
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {list.map((r) => (
              <tr key={r.id} data-inhibit={r.id}>
                <td>
                  <strong>{r.name}</strong>
                  {r.comment && <div class="small">{r.comment}</div>}
                  <div class="muted small">
                    {r.created_by}, <Time at={r.created_at} />
                  </div>
                </td>
                <td data-label="Source">
                  <code>{r.source}</code>
                </td>
                <td data-label="Target">
                  <code>{r.target}</code>
                </td>
                <td data-label="Equal">
                  {r.equal?.length ? r.equal.map((l) => <span class="chip">{l}</span>) : <span class="muted">–</span>}
                </td>
                {writer && (
                  <td class="row-actions">
                    <button
                      type="button"
                      onClick={() => {
                        setEditing(r);
                        setNotice('');
                      }}
                      aria-label={`Edit ${r.name}`}
                    >
                      Edit
                    </button>
                    <button type="button" class="danger" onClick={() => remove(r)} aria-label={`Delete ${r.name}`}>
                      Delete
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
