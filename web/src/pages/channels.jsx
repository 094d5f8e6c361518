// Notification channels: the list with the outbox (every notification with its attempts, last
// error and age), and the editor. A kind's options come from GET /api/v1/channel-kinds through
// the same option form as the check editor's; secrets read "********" and sending that back
// keeps the stored one. "Send test" sends through the saved channel and shows the receiver's answer.
import { useEffect, useState } from 'preact/hooks';
import { get, post, qs } from '../api.js';
import { navigate, setQueryParam } from '../router.js';
import { Time, useForm, Field, cap, labelNames } from '../ui.jsx';
import { CanWrite } from '../session.jsx';
import {
  useResourceList,
  ResourceTable,
  ListPage,
  EditorForm,
  saveResource,
  confirmDelete,
  EditorError,
} from '../components/resource_list.jsx';
import { OptionFields, optionValues, optionsBody } from '../components/option_fields.jsx';
import { AlertsNav } from './alerts.jsx';

export const CFG = 'config.';
// Every state GET /api/v1/notifications filters by (docs/api.md), with its badge's colour.
export const OUTBOX_STATES = ['pending', 'delivered', 'failed', 'collapsed', 'waiting', 'grouped', 'muted'];
const STATE_CLASS = { delivered: 's-up', failed: 's-down', pending: 's-degraded', waiting: 's-degraded' };
// What sent_at marks, by state: the delivery, or when the outbox gave up, muted or dropped it.
const SETTLED = { delivered: 'sent', failed: 'gave up', collapsed: 'collapsed' };
// How often the outbox is read again (deliveries, retries and mutes change rows without an event).
const OUTBOX_REFRESH_MS = 5000;

// Grouping's form keys are the server's 422 fields ("grouping.group_wait"); "grouping" itself is
// the on/off switch (null on the API: one message per transition). Its options' defaults and
// help come from GET /api/v1/channel-grouping (the server's table); the labels are the UI's.
const G = 'grouping.';
const GROUPING_TIMES = [
  ['group_wait', 'Group wait'],
  ['group_interval', 'Group interval'],
  ['repeat_interval', 'Repeat interval'],
];
const specOf = (specs, name) => specs.find((o) => o.name === name) || {};

// A channel's grouping as form values. Switched off, group_by starts at the server's default,
// so switching it on offers the usual grouping; the times left empty take theirs.
export function groupingValues(g, specs) {
  const by = g ? g.group_by || [] : specOf(specs, 'group_by').default || [];
  const v = { grouping: !!g, [G + 'group_by']: by.join(', ') };
  for (const [k] of GROUPING_TIMES) v[G + k] = g?.[k] ?? '';
  return v;
}

// The form's grouping as the API's: null when off; group_by always sent, as its empty list
// (every alert in one group) differs from leaving it out (the default, alertname).
export function groupingBody(v) {
  if (!v.grouping) return null;
  const g = { group_by: labelNames(v[G + 'group_by']) };
  for (const [k] of GROUPING_TIMES) if (v[G + k]?.trim()) g[k] = v[G + k].trim();
  return g;
}

// The form's values as the API's body (kind only when creating: a channel keeps its kind;
// grouping: null only when editing, where it turns grouping off).
export function channelBody(kind, v, creating) {
  const body = { name: v.name.trim(), config: optionsBody(kind.options, CFG, v) };
  const grouping = groupingBody(v);
  if (creating) body.kind = kind.kind;
  if (grouping || !creating) body.grouping = grouping;
  return body;
}

// "by alertname, site · 30s / 5m / 4h" for the list.
export function describeGrouping(g) {
  if (!g) return '';
  const by = g.group_by.includes('...')
    ? 'all labels'
    : g.group_by.length
      ? g.group_by.join(', ')
      : 'nothing (one group)';
  return `by ${by} · ${GROUPING_TIMES.map(([k]) => g[k]).join(' / ')}`;
}

function GroupingFields({ form, specs }) {
  const on = !!form.values.grouping;
  const f = form.field('grouping');
  return (
    <fieldset class="options grouping">
      <legend>Grouping</legend>
      <div class="field check">
        <label>
          <input type="checkbox" {...f} checked={on} onChange={(e) => form.set('grouping', e.currentTarget.checked)} />{' '}
          Group notifications
        </label>
        <p class="help">
          Off: one message per alert that fires or resolves. On: the alerts with the same values of the labels below go
          out together, as Alertmanager groups them.
        </p>
        {form.errors.grouping && (
          <p class="field-error" id={f.id + '-err'}>
            {form.errors.grouping}
          </p>
        )}
      </div>
      {on && (
        <div class="grid">
          <Field
            form={form}
            name={G + 'group_by'}
            label="Group by"
            help="Label names, comma-separated; ... groups by all labels; empty puts every alert in one group."
          >
            <input {...form.bind(G + 'group_by')} autocomplete="off" spellcheck={false} placeholder="alertname, node" />
          </Field>
          {GROUPING_TIMES.map(([k, label]) => (
            <Field
              form={form}
              name={G + k}
              label={label}
              help={`${cap(specOf(specs, k).help || '')}. Empty: ${specOf(specs, k).default}.`}
            >
              <input
                {...form.bind(G + k)}
                autocomplete="off"
                spellcheck={false}
                placeholder={specOf(specs, k).default}
              />
            </Field>
          ))}
        </div>
      )}
    </fieldset>
  );
}

export function TestResult({ test }) {
  if (test.busy)
    return (
      <p class="muted" role="status">
        Sending…
      </p>
    );
  if (test.ok)
    return (
      <p class="run-result card s-up-border" role="status">
        <strong>Delivered.</strong> The receiver accepted the test message.
      </p>
    );
  return (
    <p class="run-result card s-down-border" role="alert">
      <strong>Not delivered:</strong> {test.error}
    </p>
  );
}

// A channel form's kind, name and the kind's settings; `kindSelect` goes on the kind's select.
export function ChannelFields({ form, kinds, kind, kindLabel = 'Kind', nameLabel = 'Name', kindSelect }) {
  return (
    <>
      <div class="grid">
        <Field form={form} name="kind" label={kindLabel} help={kind.help}>
          <select {...form.bind('kind')} {...kindSelect}>
            {kinds.map((k) => (
              <option value={k.kind}>{k.title || k.kind}</option>
            ))}
          </select>
        </Field>
        <Field form={form} name="name" label={nameLabel}>
          <input {...form.bind('name')} autocomplete="off" spellcheck={false} required />
        </Field>
      </div>
      <OptionFields
        form={form}
        specs={kind.options}
        prefix={CFG}
        legend={`${kind.title || kind.kind} settings`}
        kindKey={kind.kind}
      />
    </>
  );
}

export function ChannelEditor({ id }) {
  const [kinds, setKinds] = useState(null);
  const [groupingSpecs, setGroupingSpecs] = useState([]);
  const [channel, setChannel] = useState(id ? null : {});
  const [error, setError] = useState('');
  const [saved, setSaved] = useState('');
  const [test, setTest] = useState(null);
  const form = useForm({ name: '', kind: 'webhook', ...groupingValues(null, []) });
  const fill = (c, k, g) => {
    setChannel(c);
    form.setValues({
      name: c.name,
      kind: c.kind,
      ...optionValues(k.find((x) => x.kind === c.kind)?.options, CFG, c.config),
      ...groupingValues(c.grouping, g),
    });
  };
  useEffect(() => {
    (async () => {
      try {
        const [k, g] = await Promise.all([get('/api/v1/channel-kinds'), get('/api/v1/channel-grouping')]).then((r) => [
          r[0].data,
          r[1].data.options,
        ]);
        setKinds(k);
        setGroupingSpecs(g);
        if (id) fill((await get(`/api/v1/channels/${id}`)).data, k, g);
        else form.setValues({ name: '', kind: 'webhook', ...groupingValues(null, g) });
      } catch (err) {
        setError(err.status === 404 ? 'This channel does not exist (any more).' : err.message);
      }
    })();
    document.title = (id ? 'Channel' : 'New channel') + ' · Telltale';
  }, [id]);

  if (error) return <EditorError title="Channel" error={error} back="/channels" backLabel="Back to the channels" />;
  if (!kinds || !channel) return <p class="loading">Loading…</p>;
  const kind = kinds.find((k) => k.kind === form.values.kind) || kinds[0];

  const work = async (v) => {
    const saved = await saveResource('/api/v1/channels', id && channel, channelBody(kind, v, !id));
    if (!id) return navigate(`/channels/${saved.id}`, { replace: true });
    fill(saved, kinds, groupingSpecs);
    setSaved('Saved.');
  };
  const sendTest = async () => {
    setTest({ busy: true });
    try {
      await post(`/api/v1/channels/${id}/test`);
      setTest({ ok: true });
    } catch (err) {
      setTest({ error: err.message });
    }
  };
  const remove = async () => {
    try {
      if (await confirmDelete(`/api/v1/channels/${id}`, `Delete channel “${channel.name}”?`)) navigate('/channels');
    } catch (err) {
      form.setAlert(err.code === 'CHANNEL_IN_USE' ? `${err.message} Remove it from those rules first.` : err.message);
    }
  };
  return (
    <section aria-labelledby="channel-title" class="editor">
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href="/channels">Channels</a> › <span>{id ? channel.name : 'New channel'}</span>
      </nav>
      <h1 id="channel-title" tabIndex={-1}>
        {id ? `Channel ${channel.name}` : 'New channel'}
      </h1>
      <EditorForm
        form={form}
        work={work}
        class=""
        onSubmit={() => setSaved('')}
        submit={id ? 'Save' : 'Create channel'}
        status={saved}
        extra={
          id && (
            <>
              <CanWrite>
                <button
                  type="button"
                  onClick={sendTest}
                  disabled={test?.busy}
                  title="Sends a test message with the saved settings"
                >
                  Send test
                </button>
              </CanWrite>
              <a class="button" href={'/channels' + qs({ channel: id })}>
                Its notifications
              </a>
              <CanWrite>
                <button type="button" class="danger" onClick={remove}>
                  Delete channel
                </button>
              </CanWrite>
            </>
          )
        }
      >
        <ChannelFields form={form} kinds={kinds} kind={kind} kindSelect={{ disabled: !!id }} />
        <GroupingFields form={form} specs={groupingSpecs} />
      </EditorForm>
      {test && <TestResult test={test} />}
    </section>
  );
}

const OUTBOX_COLUMNS = [
  { label: 'State', cell: (n) => <span class={'badge ' + (STATE_CLASS[n.state] || 's-unknown')}>{cap(n.state)}</span> },
  { label: 'Channel', cell: (n) => <a href={`/channels/${n.channel_id}`}>{n.channel}</a> },
  {
    label: 'Alert',
    cell: (n) => (
      <>
        {n.rule} <span class="chip">{n.event}</span>
      </>
    ),
  },
  { label: 'Attempts', props: { class: 'num', 'data-label': 'Attempts' }, cell: (n) => n.attempts },
  {
    label: 'Age',
    props: { class: 'small' },
    cell: (n) => (
      <>
        <Time at={n.created_at} />
        {n.sent_at && (
          <div class="muted">
            {SETTLED[n.state] || n.state} <Time at={n.sent_at} />
          </div>
        )}
        {n.state === 'pending' && n.next_attempt_at && (
          <div class="muted">
            next try <time datetime={n.next_attempt_at}>{new Date(n.next_attempt_at).toLocaleTimeString()}</time>
          </div>
        )}
      </>
    ),
  },
  {
    label: 'Last error',
    props: { class: 'small', 'data-label': 'Last error' },
    cell: (n) => (n.last_error ? <code>{n.last_error}</code> : <span class="muted">–</span>),
  },
];

// Deliveries, retries and mutes change rows without an event, so the first page is read again
// every few seconds; alert transitions queue notifications, so it is read after each too, once
// things settle.
function Outbox({ channels, query }) {
  const state = query.get('state') ?? '';
  const channel = query.get('channel') ?? '';
  const list = useResourceList('/api/v1/notifications', {
    noun: 'outbox',
    params: { state, channel },
    perPage: 50,
    pollMs: OUTBOX_REFRESH_MS,
    debounceMs: 1000,
    reloadOn: (e) => e.topic === 'alerts',
  });
  return (
    <section aria-labelledby="outbox-title">
      <div class="head">
        <h2 id="outbox-title">Outbox</h2>
        <span class="spacer" />
        <button type="button" onClick={list.reload}>
          Refresh
        </button>
      </div>
      <div class="filters alert-filters">
        <div class="field">
          <label for="ob-state">State</label>
          <select id="ob-state" value={state} onChange={(e) => setQueryParam('state', e.currentTarget.value)}>
            <option value="">All</option>
            {OUTBOX_STATES.map((s) => (
              <option value={s}>{cap(s)}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="ob-channel">Channel</label>
          <select id="ob-channel" value={channel} onChange={(e) => setQueryParam('channel', e.currentTarget.value)}>
            <option value="">All</option>
            {channels.map((c) => (
              <option value={c.id}>{c.name}</option>
            ))}
          </select>
        </div>
      </div>
      <ResourceTable
        list={list}
        class="outbox"
        columns={OUTBOX_COLUMNS}
        more="More notifications"
        empty={`No notifications${state || channel ? ' match these filters' : ' yet'}.`}
        row={(n) => ({ 'data-notification': n.id, 'data-state': n.state })}
      />
    </section>
  );
}

const COLUMNS = [
  { label: 'Channel', cell: (c) => <a href={`/channels/${c.id}`}>{c.name}</a> },
  { label: 'Kind', cell: (c) => c.kind },
  {
    label: 'Grouping',
    props: { class: 'small' },
    cell: (c) => (c.grouping ? describeGrouping(c.grouping) : <span class="muted">none</span>),
  },
  { label: 'Changed', props: { class: 'small' }, cell: (c) => <Time at={c.updated_at} /> },
];

export function Channels({ query }) {
  const list = useResourceList('/api/v1/channels', { noun: 'channels', all: true });
  return (
    <ListPage
      id="channels-title"
      title="Channels"
      nav={<AlertsNav here="/channels" />}
      create={{ label: 'New channel', href: '/channels/new' }}
      list={list}
      table={{
        class: 'channels',
        columns: COLUMNS,
        row: (c) => ({ 'data-channel': c.id }),
        empty: 'No channels yet: alerts are only shown here, nobody is notified.',
      }}
      after={<Outbox channels={list.items || []} query={query} />}
    />
  );
}
