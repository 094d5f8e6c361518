// Notification channels: the list with the outbox (every notification with its attempts, last
// error and age), and the editor. A kind's options come from GET /api/v1/channel-kinds through
// the same option form as the check editor's; secrets read "********" and sending that back
// keeps the stored one. "Send test" sends through the saved channel and shows the receiver's answer.
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, post, patch, del, qs } from '../api.js';
import { navigate } from '../router.js';
import { useEvents } from '../live.js';
import { Time, useForm, Field, FormAlert, cap, labelNames } from '../ui.jsx';
import { OptionFields, optionValues, optionsBody } from '../components/option_fields.jsx';
import { AlertsNav } from './alerts.jsx';

const CFG = 'config.';
// Every state GET /api/v1/notifications filters by (docs/api.md), with its badge's colour.
export const OUTBOX_STATES = ['pending', 'delivered', 'failed', 'collapsed', 'waiting', 'grouped', 'muted'];
const STATE_CLASS = { delivered: 's-up', failed: 's-down', pending: 's-degraded', waiting: 's-degraded' };
// What sent_at marks, by state: the delivery, or when the outbox gave up, muted or dropped it.
const SETTLED = { delivered: 'sent', failed: 'gave up', collapsed: 'collapsed' };
// Deliveries, retries and mutes change rows without an event: the first page is read again this often.
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

function TestResult({ test }) {
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

  if (error)
    return (
      <section class="card narrow">
        <h1>Channel</h1>
        <p class="error" role="alert">
          {error}
        </p>
        <a href="/channels">Back to the channels</a>
      </section>
    );
  if (!kinds || !channel) return <p class="loading">Loading…</p>;
  const kind = kinds.find((k) => k.kind === form.values.kind) || kinds[0];

  const work = async (v) => {
    const body = channelBody(kind, v, !id);
    if (id) {
      fill((await patch(`/api/v1/channels/${id}`, body)).data, kinds, groupingSpecs);
      setSaved('Saved.');
    } else {
      navigate(`/channels/${(await post('/api/v1/channels', body)).data.id}`, { replace: true });
    }
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
    if (!confirm(`Delete channel “${channel.name}”?`)) return;
    try {
      await del(`/api/v1/channels/${id}`);
      navigate('/channels');
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
      <form
        noValidate
        onSubmit={(e) => {
          setSaved('');
          form.submit(e, work);
        }}
      >
        <FormAlert form={form} />
        <div class="grid">
          <Field form={form} name="kind" label="Kind" help={kind.help}>
            <select {...form.bind('kind')} disabled={!!id}>
              {kinds.map((k) => (
                <option value={k.kind}>{k.title || k.kind}</option>
              ))}
            </select>
          </Field>
          <Field form={form} name="name" label="Name">
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
        <GroupingFields form={form} specs={groupingSpecs} />
        <div class="actions left">
          <button type="submit" class="primary writes" disabled={form.busy}>
            {id ? 'Save' : 'Create channel'}
          </button>
          {id && (
            <button
              type="button"
              class="writes"
              onClick={sendTest}
              disabled={test?.busy}
              title="Sends a test message with the saved settings"
            >
              Send test
            </button>
          )}
          {id && (
            <a class="button" href={'/channels' + qs({ channel: id })}>
              Its notifications
            </a>
          )}
          {id && (
            <button type="button" class="danger writes" onClick={remove}>
              Delete channel
            </button>
          )}
          <span role="status" class="muted">
            {saved}
          </span>
        </div>
      </form>
      {test && <TestResult test={test} />}
    </section>
  );
}

const Age = ({ n }) => <Time at={n.created_at} />;

function Outbox({ channels, query }) {
  const state = query.get('state') ?? '';
  const channel = query.get('channel') ?? '';
  const [list, setList] = useState(null);
  const [more, setMore] = useState(false);
  const [error, setError] = useState('');
  const timer = useRef(0);
  const setFilter = (name, value) => {
    const p = new URLSearchParams(location.search);
    if (value) p.set(name, value);
    else p.delete(name);
    navigate('/channels' + (p.toString() ? '?' + p : ''), { replace: true });
  };
  const pages = useRef(1); // pages shown; refreshes reread only a one-page list, so "More" stays
  const load = async (page = 1) => {
    try {
      const r = await get('/api/v1/notifications' + qs({ state, channel, page, per_page: 50 }));
      pages.current = page;
      setList((l) => (page > 1 ? [...(l || []), ...r.data] : r.data));
      setMore(r.pagination?.has_next ? page + 1 : false);
      setError('');
    } catch (err) {
      setError(`Could not load the outbox: ${err.message}`);
    }
  };
  useEffect(() => {
    load();
    const refresh = setInterval(() => {
      if (pages.current === 1) load();
    }, OUTBOX_REFRESH_MS);
    return () => {
      clearInterval(refresh);
      clearTimeout(timer.current);
    };
  }, [state, channel]);
  // Alert transitions queue notifications and deliveries follow within moments: reload after
  // each, once things settle.
  useEvents(
    (e) => {
      if (e.topic === 'alerts' && pages.current === 1) {
        clearTimeout(timer.current);
        timer.current = setTimeout(load, 1000);
      }
    },
    [state, channel],
  );
  return (
    <section aria-labelledby="outbox-title">
      <div class="head">
        <h2 id="outbox-title">Outbox</h2>
        <span class="spacer" />
        <button type="button" onClick={() => load()}>
          Refresh
        </button>
      </div>
      <div class="filters alert-filters">
        <div class="field">
          <label for="ob-state">State</label>
          <select id="ob-state" value={state} onChange={(e) => setFilter('state', e.currentTarget.value)}>
            <option value="">All</option>
            {OUTBOX_STATES.map((s) => (
              <option value={s}>{cap(s)}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="ob-channel">Channel</label>
          <select id="ob-channel" value={channel} onChange={(e) => setFilter('channel', e.currentTarget.value)}>
            <option value="">All</option>
            {channels.map((c) => (
              <option value={c.id}>{c.name}</option>
            ))}
          </select>
        </div>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {list === null ? (
        <p class="loading">Loading…</p>
      ) : list.length === 0 ? (
        <p>No notifications{state || channel ? ' match these filters' : ' yet'}.</p>
      ) : (
        <table class="outbox">
          <thead>
            <tr>
              <th scope="col">State</th>
              <th scope="col">Channel</th>
              <th scope="col">Alert</th>
              <th scope="col">Attempts</th>
              <th scope="col">Age</th>
              <th scope="col">Last error</th>
            </tr>
          </thead>
          <tbody>
            {list.map((n) => (
              <tr key={n.id} data-notification={n.id} data-state={n.state}>
                <td>
                  <span class={'badge ' + (STATE_CLASS[n.state] || 's-unknown')}>{cap(n.state)}</span>
                </td>
                <td>
                  <a href={`/channels/${n.channel_id}`}>{n.channel}</a>
                </td>
                <td>
                  {n.rule} <span class="chip">{n.event}</span>
                </td>
                <td class="num" data-label="Attempts">
                  {n.attempts}
                </td>
                <td class="small">
                  <Age n={n} />
                  {n.sent_at && (
                    <div class="muted">
                      {SETTLED[n.state] || n.state} <Time at={n.sent_at} />
                    </div>
                  )}
                  {n.state === 'pending' && n.next_attempt_at && (
                    <div class="muted">
                      next try{' '}
                      <time datetime={n.next_attempt_at}>{new Date(n.next_attempt_at).toLocaleTimeString()}</time>
                    </div>
                  )}
                </td>
                <td class="small" data-label="Last error">
                  {n.last_error ? <code>{n.last_error}</code> : <span class="muted">–</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {more && (
        <button type="button" onClick={() => load(more)}>
          More notifications
        </button>
      )}
    </section>
  );
}

export function Channels({ query }) {
  const [list, setList] = useState(null);
  const [error, setError] = useState('');
  useEffect(() => {
    document.title = 'Channels · Telltale';
    get('/api/v1/channels' + qs({ per_page: 500 })).then(
      (r) => setList(r.data),
      (err) => setError(`Could not load the channels: ${err.message}`),
    );
  }, []);
  return (
    <section aria-labelledby="channels-title">
      <div class="head">
        <h1 id="channels-title" tabIndex={-1}>
          Channels
        </h1>
        <AlertsNav here="/channels" />
        <span class="spacer" />
        <a class="button primary writes" href="/channels/new">
          New channel
        </a>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {list === null ? (
        <p class="loading">Loading…</p>
      ) : list.length === 0 ? (
        <p>No channels yet: alerts are only shown here, nobody is notified.</p>
      ) : (
        <table class="channels">
          <thead>
            <tr>
              <th scope="col">Channel</th>
              <th scope="col">Kind</th>
              <th scope="col">Grouping</th>
              <th scope="col">Changed</th>
            </tr>
          </thead>
          <tbody>
            {list.map((c) => (
              <tr key={c.id} data-channel={c.id}>
                <td>
                  <a href={`/channels/${c.id}`}>{c.name}</a>
                </td>
                <td>{c.kind}</td>
                <td class="small">{c.grouping ? describeGrouping(c.grouping) : <span class="muted">none</span>}</td>
                <td class="small">
                  <Time at={c.updated_at} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Outbox channels={list || []} query={query} />
    </section>
  );
}
