// Alerts: the list with filters, kept current by alert events (topic `alerts` of the event log,
// which the shared live link replays after a reconnect), acknowledgement with a comment, and
// "silence" from an alert (the silences page, prefilled with its labels as matchers).
import { useState } from 'preact/hooks';
import { post, qs } from '../api.js';
import { setQueryParam } from '../router.js';
import { Time, Page, cap, parseLabels, quote } from '../ui.jsx';
import { CanWrite } from '../session.jsx';
import { useResourceList, ListView } from '../components/resource_list.jsx';
import { useChoices } from '../fields.js';

export const ALERT_STATES = ['firing', 'pending', 'resolved'];

// The selector of exactly these labels: {alertname="X", node="gw"} (an alert's, for a silence).
export function labelSelector(labels) {
  return (
    '{' +
    Object.entries(labels || {})
      .map(([k, v]) => `${k}=${quote(v)}`)
      .join(', ') +
    '}'
  );
}

// Whether an alert passes the page's filters: {state, severity, labels: {name: value}}; the
// state 'active' is pending or firing.
export function alertMatches(a, f) {
  if (f.state === 'active' ? a.state === 'resolved' : f.state && a.state !== f.state) return false;
  if (f.severity && a.severity !== f.severity) return false;
  return Object.entries(f.labels || {}).every(([k, v]) => a.labels?.[k] === v);
}

// The list after an alert event: the alert replaces its older copy, a new one that passes the
// filters goes first (the list is newest first), one that no longer passes leaves.
export function applyAlert(list, alert, filters) {
  const i = list.findIndex((a) => a.id === alert.id);
  const keep = alertMatches(alert, filters);
  if (i < 0) return keep ? [alert, ...list] : list;
  const out = list.slice();
  if (keep) out[i] = alert;
  else out.splice(i, 1);
  return out;
}

export function StateBadge({ state }) {
  const tone =
    { firing: 's-down', pending: 's-degraded', resolved: 's-up', active: 's-down', expired: 's-unknown' }[state] ||
    's-unknown';
  return <span class={'badge ' + tone}>{cap(state)}</span>;
}
export const SeverityChip = ({ severity }) => <span class={'chip sev-' + severity}>{severity}</span>;

const formatValue = (v) => (typeof v === 'number' ? +v.toPrecision(6) : (v ?? '–'));

function AckForm({ alert, onDone, onCancel }) {
  const [comment, setComment] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    try {
      onDone((await post(`/api/v1/alerts/${alert.id}/ack`, comment.trim() ? { comment: comment.trim() } : {})).data);
    } catch (err) {
      setError(err.fields?.[0]?.message || err.message);
      setBusy(false);
    }
  };
  const id = `ack-${alert.id}`;
  return (
    <form class="ack-form" onSubmit={submit}>
      <label for={id}>Comment (optional)</label>
      <textarea
        id={id}
        rows={2}
        maxLength={2000}
        value={comment}
        onInput={(e) => setComment(e.currentTarget.value)}
        autoFocus
        aria-invalid={error ? 'true' : undefined}
        placeholder="Who is on it, what is being done"
      />
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="actions left">
        <button type="submit" class="primary" disabled={busy}>
          Acknowledge
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function AlertItem({ alert: a, onChange }) {
  const [acking, setAcking] = useState(false);
  const summary = a.annotations?.summary || a.annotations?.description;
  const labels = Object.entries(a.labels || {}).filter(([k]) => k !== 'alertname' && k !== 'severity');
  return (
    <li class={'alert-item a-' + a.state} data-alert={a.id} data-state={a.state}>
      <div class="alert-main">
        <div class="head">
          <StateBadge state={a.state} />
          <SeverityChip severity={a.severity} />
          <strong class="alert-name">{a.rule_name || a.labels?.alertname}</strong>
          {a.acked && (
            <span class="chip acked" title={a.ack?.comment || ''}>
              acknowledged by {a.ack?.by}
            </span>
          )}
          {a.silenced && <span class="chip">silenced</span>}
          {a.maintenance?.map((m) => (
            <a class="chip maint" href="/maintenance" title="Muted by this maintenance window">
              maintenance: {m.name}
            </a>
          ))}
          {a.inhibited_by && (
            <span
              class="chip inhibited"
              title="Muted while this other alert fires (an inhibit rule, or its node is down)"
            >
              inhibited by #{a.inhibited_by}
            </span>
          )}
          {a.flapping && (
            <span
              class="chip flapping"
              title="Fired often enough for its rule's flap damping: held firing until it stays quiet"
            >
              flapping
            </span>
          )}
        </div>
        {summary && (
          <p class="alert-summary">
            {a.state === 'resolved' && <span class="muted">While firing: </span>}
            {summary}
          </p>
        )}
        <div class="small">
          {labels.map(([k, v]) => (
            <span class="chip">
              {k}={v}
            </span>
          ))}
        </div>
        <div class="muted small">
          value {formatValue(a.value)} · active <Time at={a.active_at} />
          {a.fired_at && (
            <>
              {' '}
              · fired <Time at={a.fired_at} />
            </>
          )}
          {a.resolved_at && (
            <>
              {' '}
              · resolved <Time at={a.resolved_at} />
            </>
          )}
        </div>
        {a.ack?.comment && (
          <p class="small ack-comment">
            “{a.ack.comment}” — {a.ack.by}, <Time at={a.ack.at} />
          </p>
        )}
        {acking && (
          <AckForm
            alert={a}
            onDone={(x) => {
              setAcking(false);
              onChange(x);
            }}
            onCancel={() => setAcking(false)}
          />
        )}
      </div>
      {!acking && (
        <div class="alert-actions">
          <CanWrite>
            {a.state !== 'resolved' && !a.acked && (
              <button type="button" onClick={() => setAcking(true)}>
                Acknowledge
              </button>
            )}
            {a.state !== 'resolved' && (
              <a class="button" href={'/silences' + qs({ new: 1, matchers: labelSelector(a.labels) })}>
                Silence
              </a>
            )}
          </CanWrite>
          {a.rule_id && (
            <a class="button" href={`/alerts/rules/${a.rule_id}`}>
              Rule
            </a>
          )}
        </div>
      )}
    </li>
  );
}

// Whether an event changes which alerts are muted: silences, maintenance windows and inhibit rules
// are matched when alerts are read (their chips, `muted`), so a list shown reads its alerts again.
export const changesMutes = (e) => /^(silence|maintenance|inhibit_rule)\./.test(e.kind || '');

export function AlertsNav({ here }) {
  const tabs = [
    ['/alerts', 'Alerts'],
    ['/silences', 'Silences'],
    ['/maintenance', 'Maintenance'],
    ['/inhibit-rules', 'Inhibit rules'],
    ['/alerts/rules', 'Rules'],
    ['/channels', 'Channels'],
  ];
  return (
    <nav class="seg tabs" aria-label="Alerting">
      {tabs.map(([href, label]) => (
        <a class="button" href={href} aria-current={href === here ? 'page' : undefined}>
          {label}
        </a>
      ))}
    </nav>
  );
}

export function Alerts({ query }) {
  const state = query.get('state') ?? '';
  const severity = query.get('severity') ?? '';
  const labelText = query.get('label') ?? '';
  const labels = parseLabels(labelText);
  const filters = { state, severity, labels: labels || {} };
  const [labelInput, setLabelInput] = useState(labelText);
  const severities = useChoices('alert-rules', 'severity');
  // Alert events change the list in place; mutes are matched when alerts are read, so a change
  // of them reads it again.
  const list = useResourceList('/api/v1/alerts', {
    noun: 'alerts',
    params: { state, severity, label: Object.entries(labels || {}).map(([k, v]) => `${k}=${v}`) },
    skip: !labels,
    onEvent: (e, l) => {
      if (e.topic === 'alerts' && e.data?.alert) l.setItems((x) => (x ? applyAlert(x, e.data.alert, filters) : x));
    },
    reloadOn: changesMutes,
  });
  const replace = (a) => list.setItems((l) => applyAlert(l, a, filters));
  return (
    <Page id="alerts-title" title="Alerts" nav={<AlertsNav here="/alerts" />}>
      <form
        class="filters alert-filters"
        onSubmit={(e) => {
          e.preventDefault();
          setQueryParam('label', labelInput.trim());
        }}
      >
        <div class="field">
          <label for="al-state">State</label>
          <select id="al-state" value={state} onChange={(e) => setQueryParam('state', e.currentTarget.value)}>
            <option value="">All</option>
            {ALERT_STATES.map((s) => (
              <option value={s}>{cap(s)}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="al-sev">Severity</label>
          <select id="al-sev" value={severity} onChange={(e) => setQueryParam('severity', e.currentTarget.value)}>
            <option value="">All</option>
            {severities.map((s) => (
              <option value={s}>{cap(s)}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="al-label">Labels (key=value, comma-separated)</label>
          <input
            id="al-label"
            value={labelInput}
            onInput={(e) => setLabelInput(e.currentTarget.value)}
            onBlur={() => setQueryParam('label', labelInput.trim())}
            aria-invalid={labels ? undefined : 'true'}
            autocomplete="off"
            spellcheck={false}
            placeholder="node=gw-1"
          />
          {!labels && <p class="field-error">Write labels as key=value, separated by commas.</p>}
        </div>
      </form>
      <ListView
        list={list}
        more="More alerts"
        empty={`No alerts${state || severity || labelText ? ' match these filters' : ''}.`}
      >
        {(items) => (
          <ul class="alerts" aria-label="Alerts">
            {items.map((a) => (
              <AlertItem key={a.id} alert={a} onChange={replace} />
            ))}
          </ul>
        )}
      </ListView>
    </Page>
  );
}

// The alerts in `state` whose labels include these, kept current by alert events; read again
// when mutes change.
function useAlertsIn(state, labels) {
  const filters = { state, labels };
  return useResourceList('/api/v1/alerts', {
    noun: 'alerts',
    all: true,
    params: { state, label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) },
    onEvent: (e, l) => {
      if (e.topic === 'alerts' && e.data?.alert) l.setItems((x) => x && applyAlert(x, e.data.alert, filters));
    },
    reloadOn: changesMutes,
  });
}

// The pending and firing alerts whose labels include these (a node's, on its page), live;
// nothing at all while there are none.
export function ActiveAlerts({ labels }) {
  const firing = useAlertsIn('firing', labels);
  const pending = useAlertsIn('pending', labels);
  const list = [...(firing.items || []), ...(pending.items || [])];
  const error = firing.error || pending.error;
  // An acknowledged alert replaces its copy.
  const replace = (a) =>
    [firing, pending].forEach((l) => l.setItems((x) => x?.map((old) => (old.id === a.id ? a : old))));
  if (error)
    return (
      <p class="error" role="alert">
        {error}
      </p>
    );
  if (!list.length) return null;
  return (
    <section aria-labelledby="node-alerts-title">
      <div class="head">
        <h2 id="node-alerts-title">Alerts</h2>
        <a
          href={
            '/alerts' +
            qs({
              label: Object.entries(labels)
                .map(([k, v]) => `${k}=${v}`)
                .join(', '),
            })
          }
        >
          All alerts
        </a>
      </div>
      <ul class="alerts" aria-label="Active alerts">
        {list.map((a) => (
          <AlertItem key={a.id} alert={a} onChange={replace} />
        ))}
      </ul>
    </section>
  );
}
