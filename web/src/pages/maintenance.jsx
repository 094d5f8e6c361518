// Maintenance windows: the list (active ones marked, or only those), and a form to create or
// edit one: one-off (from, until) or recurring (daily or on weekdays, at a time of day for a
// duration, in a time zone with its daylight saving, or a UTC offset), over nodes and/or alert
// label matchers. Alerts they cover carry
// `maintenance` (the alerts page shows it).
import { useState } from 'preact/hooks';
import { nodes, nodesByName } from '../live.js';
import { Time, useForm, Field } from '../ui.jsx';
import { CanWrite } from '../session.jsx';
import {
  useResourceList,
  useEditing,
  ListPage,
  EditorForm,
  saveResource,
  NameAndComment,
} from '../components/resource_list.jsx';
import { AlertsNav } from './alerts.jsx';
import { toLocalInput } from './silences.jsx';

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const R = 'recurrence.'; // form keys named as the server's 422 fields, so errors land on them

// This browser's UTC offset as the API writes it: "UTC", "+01:00", "-05:30".
export function localOffset(minutes = -new Date().getTimezoneOffset()) {
  if (!minutes) return 'UTC';
  const a = Math.abs(minutes),
    p = (n) => String(n).padStart(2, '0');
  return `${minutes < 0 ? '-' : '+'}${p(Math.floor(a / 60))}:${p(a % 60)}`;
}

// This browser's time zone (an IANA name such as "Europe/Amsterdam"), else its UTC offset.
export function localZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || localOffset();
}
// The zone names the browser knows, for the form's suggestions.
const ZONES = Intl.supportedValuesOf?.('timeZone') ?? [];

// "every week on mon, wed at 02:00 for 2h (UTC)", or the one-off's span.
export function describeSchedule(w) {
  const r = w.recurrence;
  if (!r) return `${new Date(w.starts_at).toLocaleString()} – ${new Date(w.ends_at).toLocaleString()}`;
  return `every ${r.every === 'week' ? `week on ${r.days.join(', ')}` : 'day'} at ${r.start_time} for ${r.duration} (${r.time_zone})`;
}

// The names of a window's nodes; a node deleted since shows as its id.
export const nodeNames = (ids) => ids.map((id) => nodes.get(id)?.name ?? `#${id} (deleted)`);

export function emptyWindow() {
  const start = new Date(Date.now() + 60e3);
  return {
    name: '',
    comment: '',
    node_ids: '',
    matchers: '',
    schedule: 'once',
    starts_at: toLocalInput(start),
    ends_at: toLocalInput(new Date(start.getTime() + 2 * 3600e3)),
    [R + 'every']: 'week',
    [R + 'days']: ['sun'],
    [R + 'start_time']: '02:00',
    [R + 'duration']: '2h',
    [R + 'time_zone']: localZone(),
  };
}

// A stored window as form values.
export function windowValues(w) {
  const v = {
    ...emptyWindow(),
    name: w.name,
    comment: w.comment || '',
    matchers: w.matchers || '',
    node_ids: nodeNames(w.node_ids || []).join(', '),
    schedule: w.recurrence ? 'recurring' : 'once',
  };
  if (w.recurrence) for (const k of ['every', 'start_time', 'duration', 'time_zone']) v[R + k] = w.recurrence[k];
  if (w.recurrence?.days) v[R + 'days'] = w.recurrence.days;
  if (!w.recurrence)
    Object.assign(v, { starts_at: toLocalInput(new Date(w.starts_at)), ends_at: toLocalInput(new Date(w.ends_at)) });
  return v;
}

// The form's values as the API's body: node names to ids (byName(name) -> nodes of that name),
// one-off times to RFC 3339, or the recurrence (days: null for a daily one, which a PATCH merges).
export function windowBody(v, byName) {
  const fields = [];
  const ids = [];
  for (const name of v.node_ids
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const found = byName(name);
    if (!found.length) fields.push({ field: 'node_ids', message: `No node is named ${name}.` });
    ids.push(...found.map((n) => n.id));
  }
  if (fields.length) throw { fields, message: 'Please correct the highlighted fields.' };
  const body = { name: v.name.trim(), comment: v.comment.trim(), node_ids: ids, matchers: v.matchers.trim() };
  if (v.schedule === 'once') {
    body.starts_at = v.starts_at ? new Date(v.starts_at).toISOString() : '';
    body.ends_at = v.ends_at ? new Date(v.ends_at).toISOString() : '';
  } else {
    const every = v[R + 'every'];
    body.recurrence = {
      every,
      start_time: v[R + 'start_time'],
      duration: v[R + 'duration'].trim(),
      time_zone: v[R + 'time_zone'].trim() || 'UTC',
      days: every === 'week' ? DAYS.filter((d) => v[R + 'days'].includes(d)) : null,
    };
  }
  return body;
}

const byName = (name) => nodesByName().filter((n) => n.name === name);

function WindowForm({ window: w, onSaved, onCancel }) {
  const form = useForm(w ? windowValues(w) : emptyWindow());
  const v = form.values;
  const work = async (values) => {
    const body = windowBody(values, byName);
    if (!w && body.recurrence?.days === null) delete body.recurrence.days;
    onSaved(await saveResource('/api/v1/maintenance', w, body), w ? 'saved' : 'created');
  };
  const days = v[R + 'days'];
  const toggleDay = (d, on) => form.set(R + 'days', on ? [...days, d] : days.filter((x) => x !== d));
  return (
    <EditorForm
      form={form}
      work={work}
      title={w ? `Edit ${w.name}` : 'New maintenance window'}
      titleId="window-form-title"
      submit={w ? 'Save window' : 'Create window'}
      onCancel={onCancel}
    >
      <div class="grid">
        <NameAndComment form={form} comment="What is done, who to ask" />
        <Field
          form={form}
          name="node_ids"
          label="Nodes (names, comma-separated)"
          help="Alerts of these nodes (their node label)."
        >
          <input {...form.bind('node_ids')} autocomplete="off" spellcheck={false} list="maint-node-names" />
        </Field>
        <Field
          form={form}
          name="matchers"
          label="Alert matchers"
          help={'Alerts whose labels match, e.g. {site="lab"}; with nodes, both must hold.'}
        >
          <input {...form.bind('matchers')} autocomplete="off" spellcheck={false} placeholder='{site="lab"}' />
        </Field>
      </div>
      <datalist id="maint-node-names">
        {nodesByName()
          .slice(0, 500)
          .map((n) => (
            <option value={n.name} />
          ))}
      </datalist>
      <fieldset class="schedule">
        <legend>When</legend>
        <div class="seg" role="radiogroup" aria-label="Schedule">
          {[
            ['once', 'One-off'],
            ['recurring', 'Recurring'],
          ].map(([k, label]) => (
            <label class="radio">
              <input
                type="radio"
                name="schedule"
                value={k}
                checked={v.schedule === k}
                onChange={() => form.set('schedule', k)}
              />{' '}
              {label}
            </label>
          ))}
        </div>
        {v.schedule === 'once' ? (
          <div class="grid">
            <Field form={form} name="starts_at" label="From">
              <input {...form.bind('starts_at')} type="datetime-local" required />
            </Field>
            <Field form={form} name="ends_at" label="Until">
              <input {...form.bind('ends_at')} type="datetime-local" required />
            </Field>
          </div>
        ) : (
          <>
            <div class="grid">
              <Field form={form} name={R + 'every'} label="Every">
                <select {...form.bind(R + 'every')}>
                  <option value="week">Week, on the days below</option>
                  <option value="day">Day</option>
                </select>
              </Field>
              <Field form={form} name={R + 'start_time'} label="At">
                <input {...form.bind(R + 'start_time')} type="time" required />
              </Field>
              <Field form={form} name={R + 'duration'} label="For" help="A duration: 2h, 1h30m (at most 7d).">
                <input {...form.bind(R + 'duration')} autocomplete="off" required />
              </Field>
              <Field
                form={form}
                name={R + 'time_zone'}
                label="Time zone"
                help="A name such as Europe/Amsterdam (its daylight saving time followed), UTC, or a fixed offset such as +01:00."
              >
                <input {...form.bind(R + 'time_zone')} autocomplete="off" list="maint-zones" spellcheck={false} />
              </Field>
              <datalist id="maint-zones">
                {ZONES.map((z) => (
                  <option value={z} />
                ))}
              </datalist>
            </div>
            {v[R + 'every'] === 'week' && (
              <div class="field">
                <span class="label" id="maint-days">
                  Days
                </span>
                <div class="days" role="group" aria-labelledby="maint-days">
                  {DAYS.map((d) => (
                    <label class="radio">
                      <input
                        type="checkbox"
                        checked={days.includes(d)}
                        onChange={(e) => toggleDay(d, e.currentTarget.checked)}
                      />{' '}
                      {d}
                    </label>
                  ))}
                </div>
                {form.errors[R + 'days'] && (
                  <p class="field-error" id="f-recurrence-days-err">
                    {form.errors[R + 'days']}
                  </p>
                )}
              </div>
            )}
          </>
        )}
      </fieldset>
    </EditorForm>
  );
}

const stateOf = (w) =>
  w.active ? 'Active' : w.recurrence ? 'Recurring' : Date.parse(w.ends_at) < Date.now() ? 'Ended' : 'Scheduled';
const COLUMNS = [
  { label: 'State', cell: (w) => <span class={'badge ' + (w.active ? 's-degraded' : 's-unknown')}>{stateOf(w)}</span> },
  {
    label: 'Window',
    cell: (w) => (
      <>
        <strong>{w.name}</strong>
        {w.comment && <div class="small">{w.comment}</div>}
        <div class="muted small">
          {w.created_by}, <Time at={w.created_at} />
        </div>
      </>
    ),
  },
  { label: 'When', props: { class: 'small' }, cell: describeSchedule },
  {
    label: 'Covers',
    props: { class: 'small' },
    cell: (w) => (
      <>
        {w.node_ids?.length > 0 && <div>nodes: {nodeNames(w.node_ids).join(', ')}</div>}
        {w.matchers && (
          <div>
            <code>{w.matchers}</code>
          </div>
        )}
      </>
    ),
  },
];

export function Maintenance({ query }) {
  const [activeOnly, setActiveOnly] = useState(query.get('active') === 'true');
  // Windows open and close with time, not with events: read again every 30 s too.
  const list = useResourceList('/api/v1/maintenance', {
    noun: 'maintenance windows',
    all: true,
    params: { active: activeOnly ? 'true' : '' },
    pollMs: 30e3,
    reloadOn: (e) => e.kind?.startsWith('maintenance.'),
  });
  const editor = useEditing(list, query.get('new') === '1' ? 'new' : null);
  const activeCount = list.items?.filter((w) => w.active).length ?? 0;
  return (
    <ListPage
      id="maint-title"
      title="Maintenance"
      nav={<AlertsNav here="/maintenance" />}
      create={{ label: 'New window', editing: editor }}
      list={list}
      table={{
        class: 'maintenance',
        columns: COLUMNS,
        empty: `No maintenance windows${activeOnly ? ' are active now' : ''}.`,
        row: (w) => ({ 'data-window': w.id, 'data-active': w.active ? 'true' : 'false' }),
        actions: (w) => (
          <CanWrite>
            <button type="button" onClick={() => editor.start(w)}>
              Edit
            </button>
            <button
              type="button"
              class="danger"
              onClick={() =>
                list.remove(
                  `/api/v1/maintenance/${w.id}`,
                  `Delete the maintenance window “${w.name}”?`,
                  `Window ${w.name} deleted.`,
                )
              }
            >
              Delete
            </button>
          </CanWrite>
        ),
      }}
    >
      <p class="muted small">
        Alerts covered by an active window still change state but notify nobody, and show “maintenance”.
      </p>
      {editor.open && (
        <CanWrite>
          <WindowForm
            key={editor.key}
            window={editor.item}
            onCancel={editor.close}
            onSaved={(w, how) => editor.saved(`Window ${w.name} ${how}.`)}
          />
        </CanWrite>
      )}
      <div class="field check">
        <label>
          <input type="checkbox" checked={activeOnly} onChange={(e) => setActiveOnly(e.currentTarget.checked)} /> Active
          now only
        </label>
      </div>
      {list.items?.length > 0 && (
        <p class="small" id="maint-active">
          {activeCount} active now.
        </p>
      )}
    </ListPage>
  );
}
