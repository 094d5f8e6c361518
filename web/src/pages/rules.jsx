// Alert rules: the list, and the editor. An expression rule shows the current value of its
// expression (an instant query of /prometheus/api/v1/query while typing), and a parse error
// points at its position in the expression, from the preview as from the 422 of a save.
import { useEffect, useState } from 'preact/hooks';
import { get, qs } from '../api.js';
import { navigate } from '../router.js';
import { useForm, Field, cap } from '../ui.jsx';
import { CanWrite } from '../session.jsx';
import { KeyValueField, toPairs, fromPairs } from '../components/key_value.jsx';
import { useResourceList, ListPage, EditorForm, saveResource, confirmDelete } from '../components/resource_list.jsx';
import { AlertsNav, SeverityChip, labelSelector } from './alerts.jsx';
import { useChoices } from '../fields.js';
import { ChannelBoxes } from '../components/channel_boxes.jsx';

// "at position 12: unexpected …" -> {pos: 12, text: "unexpected …"}; null without a position.
export function exprPosition(message) {
  const m = /^at position (\d+): ([\s\S]*)$/.exec(message || '');
  return m ? { pos: +m[1], text: m[2] } : null;
}

// What the server requires and a new form leaves empty, said before sending: a name, and the
// expression or the check(s) the rule watches.
function missingFields(v) {
  const fields = [];
  if (!v.name.trim()) fields.push({ field: 'name', message: 'Required: the name of the alerts it raises.' });
  if (v.kind === 'expr' && !v.expr.trim())
    fields.push({ field: 'expr', message: 'Required: every series this PromQL expression yields is an alert.' });
  if (v.kind === 'check_state' && !v.check_id && !v.check_selector.trim())
    fields.push({ field: 'check_id', message: 'Choose a check, or give a check selector.' });
  return fields;
}

// The form's values as the API's body (escalations always: an empty list removes the steps).
// Throws a form error naming every required field left empty, before anything is sent.
export function ruleBody(v) {
  const body = {
    name: v.name.trim(),
    kind: v.kind,
    severity: v.severity,
    enabled: !!v.enabled,
    channels: (v.channels || []).map(Number),
    escalations: (v.escalations || []).map((e) => ({ after: e.after.trim(), channels: e.channels.map(Number) })),
  };
  for (const k of ['for', 'keep_firing_for', 'interval']) if (v[k].trim()) body[k] = v[k].trim();
  const fields = missingFields(v);
  for (const k of ['labels', 'annotations']) {
    try {
      body[k] = fromPairs(v[k], k);
    } catch (err) {
      fields.push(...err.fields);
    }
  }
  if (fields.length) throw { fields, message: 'Please correct the highlighted fields.' };
  if (v.kind === 'expr') body.expr = v.expr;
  else Object.assign(body, { check_id: v.check_id ? +v.check_id : null, check_selector: v.check_selector.trim() });
  return body;
}

// The expression with a caret under the position of the error.
export function ExprError({ expr, message }) {
  const at = exprPosition(message);
  if (!at)
    return (
      <p class="field-error" id="f-expr-err">
        {message}
      </p>
    );
  const lineStart = expr.lastIndexOf('\n', at.pos - 1) + 1;
  const lineEnd = expr.indexOf('\n', at.pos);
  const line = expr.slice(lineStart, lineEnd < 0 ? undefined : lineEnd);
  return (
    <div class="expr-error" id="f-expr-err">
      <pre aria-hidden="true">
        {line}
        {'\n'}
        {' '.repeat(at.pos - lineStart)}^
      </pre>
      <p class="field-error">
        At position {at.pos}: {at.text}
      </p>
    </div>
  );
}

function Preview({ expr }) {
  const [state, setState] = useState({});
  useEffect(() => {
    if (!expr.trim()) return setState({});
    let live = true;
    const t = setTimeout(async () => {
      try {
        const r = await get('/prometheus/api/v1/query' + qs({ query: expr }));
        if (live) setState({ result: r.data });
      } catch (err) {
        if (live) setState({ error: err.message });
      }
    }, 400);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [expr]);
  let body;
  if (state.error) body = <ExprError expr={expr} message={state.error} />;
  else if (!state.result) body = <p class="muted">{expr.trim() ? 'Evaluating…' : 'The current value appears here.'}</p>;
  else if (state.result.resultType === 'scalar')
    body = (
      <p>
        Scalar <strong>{state.result.result[1]}</strong>
      </p>
    );
  else {
    const rows = state.result.result || [];
    body =
      rows.length === 0 ? (
        <p class="muted">No series now: the rule would not fire.</p>
      ) : (
        <>
          <p class="small">{rows.length} series now: each would be an alert.</p>
          <table class="preview">
            <tbody>
              {rows.slice(0, 20).map((s) => {
                const { __name__: name, ...labels } = s.metric;
                return (
                  <tr>
                    <td>
                      <code>{(name || '') + labelSelector(labels)}</code>
                    </td>
                    <td class="num">{s.value?.[1]}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {rows.length > 20 && <p class="muted small">and {rows.length - 20} more.</p>}
        </>
      );
  }
  return (
    <div class="help-box preview-box" role="status" aria-live="polite">
      <strong>Current value</strong>
      {body}
    </div>
  );
}

// The channels a rule notifies, as checkboxes (form value: their ids as strings).
function ChannelChoice({ form, channels }) {
  const chosen = form.values.channels;
  const toggle = (id, on) => form.set('channels', on ? [...chosen, id] : chosen.filter((x) => x !== id));
  return (
    <fieldset class="channel-choice" aria-describedby={form.errors.channels ? 'f-channels-err' : undefined}>
      <legend>Notify</legend>
      {channels.length === 0 ? (
        <p class="help">
          No channels yet. <a href="/channels/new">Create one</a> to be notified when this rule fires.
        </p>
      ) : (
        <ChannelBoxes channels={channels} chosen={chosen} name="channels" onToggle={toggle} />
      )}
      {form.errors.channels && (
        <p class="field-error" id="f-channels-err">
          {form.errors.channels}
        </p>
      )}
    </fieldset>
  );
}

export const MAX_ESCALATION_STEPS = 8; // the API's limit

// Escalation steps (form value: [{after, channels: ids as strings}]): a firing alert nobody has
// acknowledged `after` its firing goes to the step's channels too. Each step's delay and channels
// carry the server's errors for "escalations[i].after" and "escalations[i].channels".
export function EscalationSteps({ form, channels }) {
  const steps = form.values.escalations;
  const key = (i, f) => `escalations[${i}].${f}`;
  const update = (i, f, value) => {
    form.set(
      'escalations',
      steps.map((s, j) => (j === i ? { ...s, [f]: value } : s)),
    );
    form.setErrors((e) => ({ ...e, [key(i, f)]: null }));
  };
  // A removed step moves the later ones up: their errors would sit on the wrong step.
  const dropStepErrors = (e) => Object.fromEntries(Object.entries(e).filter(([k]) => !k.startsWith('escalations')));
  const add = () => {
    form.set('escalations', [...steps, { after: steps.length ? '' : '15m', channels: [] }]);
    requestAnimationFrame(() => document.getElementById(form.field(key(steps.length, 'after')).id)?.focus());
  };
  const remove = (i) => {
    form.set(
      'escalations',
      steps.filter((_, j) => j !== i),
    );
    form.setErrors(dropStepErrors);
  };
  const err = (k) =>
    form.errors[k] && (
      <p class="field-error" id={form.field(k).id + '-err'}>
        {form.errors[k]}
      </p>
    );
  if (!channels.length && !steps.length) return null; // the Notify box says to create a channel
  return (
    <fieldset
      class="escalations"
      aria-describedby={form.errors.escalations ? 'f-escalations-err' : 'f-escalations-help'}
    >
      <legend>Escalation</legend>
      <p class="help" id="f-escalations-help">
        When nobody has acknowledged a firing alert this long after it fired, these channels are told too (once each).
        Delays from 1m to 30d, each step later than the one before.
      </p>
      {steps.map((s, i) => {
        const after = form.field(key(i, 'after'));
        const chosen = form.field(key(i, 'channels'));
        return (
          <fieldset class="step" data-step={i} aria-describedby={chosen['aria-describedby']}>
            <legend>Step {i + 1}</legend>
            <div class="field">
              <label for={after.id}>After</label>
              <input
                {...after}
                value={s.after}
                onInput={(e) => update(i, 'after', e.currentTarget.value)}
                placeholder="15m"
                autocomplete="off"
                spellcheck={false}
              />
              {err(key(i, 'after'))}
            </div>
            <div class="step-channels" role="group" aria-label={`Step ${i + 1} channels`}>
              <ChannelBoxes
                channels={channels}
                chosen={s.channels}
                name={`escalation-${i}`}
                onToggle={(id, on) =>
                  update(i, 'channels', on ? [...s.channels, id] : s.channels.filter((x) => x !== id))
                }
              />
              {err(key(i, 'channels'))}
            </div>
            <button type="button" class="danger" onClick={() => remove(i)} aria-label={`Remove step ${i + 1}`}>
              Remove
            </button>
          </fieldset>
        );
      })}
      {form.errors.escalations && (
        <p class="field-error" id="f-escalations-err">
          {form.errors.escalations}
        </p>
      )}
      {channels.length > 0 && steps.length < MAX_ESCALATION_STEPS && (
        <button type="button" onClick={add}>
          Add escalation step
        </button>
      )}
    </fieldset>
  );
}

// A new rule's form values.
export const NEW_RULE = {
  name: '',
  kind: 'expr',
  expr: '',
  check_id: '',
  check_selector: '',
  for: '',
  keep_firing_for: '',
  interval: '',
  severity: 'warning',
  labels: '',
  annotations: [['summary', '']],
  enabled: true,
  channels: [],
  escalations: [],
};

export function RuleEditor({ id }) {
  const [rule, setRule] = useState(id ? null : {});
  const [checks, setChecks] = useState([]);
  const [channels, setChannels] = useState([]);
  const [saved, setSaved] = useState('');
  const severities = useChoices('alert-rules', 'severity');
  const form = useForm(NEW_RULE);
  const fill = (r) => {
    setRule(r);
    form.setValues({
      name: r.name,
      kind: r.kind,
      expr: r.expr || '',
      check_id: r.check_id ? String(r.check_id) : '',
      check_selector: r.check_selector || '',
      for: r.for,
      keep_firing_for: r.keep_firing_for,
      interval: r.interval,
      severity: r.severity,
      labels: toPairs(r.labels),
      annotations: toPairs(r.annotations),
      enabled: r.enabled,
      channels: (r.channels || []).map(String),
      escalations: (r.escalations || []).map((e) => ({ after: e.after, channels: e.channels.map(String) })),
    });
  };
  useEffect(() => {
    if (id) {
      setRule(null); // also after a create, which lands here with the new id
      get(`/api/v1/alert-rules/${id}`).then(
        (r) => fill(r.data),
        (err) => setRule({ missing: err.message }),
      );
    }
    get('/api/v1/checks' + qs({ per_page: 500, sort: 'name' })).then(
      (r) => setChecks(r.data),
      () => {},
    );
    get('/api/v1/channels' + qs({ per_page: 500 })).then(
      (r) => setChannels(r.data),
      () => {},
    );
  }, [id]);
  useEffect(() => {
    document.title = `${id ? 'Alert rule' : 'New alert rule'} · Telltale`;
  }, [id]);
  if (rule === null) return <p class="loading">Loading…</p>;
  if (rule.missing)
    return (
      <section class="card narrow">
        <h1>Alert rule not found</h1>
        <p>
          {rule.missing} <a href="/alerts/rules">Back to the rules</a>.
        </p>
      </section>
    );

  const work = async (v) => {
    const saved = await saveResource('/api/v1/alert-rules', id && rule, ruleBody(v));
    if (!id) return navigate(`/alerts/rules/${saved.id}`, { replace: true });
    fill(saved);
    setSaved('Saved.');
  };
  const remove = async () => {
    try {
      if (
        await confirmDelete(`/api/v1/alert-rules/${id}`, `Delete alert rule “${rule.name}”? Its active alerts resolve.`)
      )
        navigate('/alerts/rules');
    } catch (err) {
      form.setAlert(err.message);
    }
  };
  const v = form.values;
  return (
    <section aria-labelledby="rule-title" class="editor">
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href="/alerts/rules">Alert rules</a> › <span>{id ? rule.name : 'New rule'}</span>
      </nav>
      <h1 id="rule-title" tabIndex={-1}>
        {id ? `Alert rule ${rule.name}` : 'New alert rule'}
      </h1>
      <EditorForm
        form={form}
        work={work}
        class=""
        onSubmit={() => setSaved('')}
        submit={id ? 'Save' : 'Create rule'}
        status={saved}
        extra={
          id && (
            <>
              <a class="button" href={'/alerts' + qs({ label: `alertname=${rule.name}` })}>
                Its alerts
              </a>
              <CanWrite>
                <button type="button" class="danger" onClick={remove}>
                  Delete rule
                </button>
              </CanWrite>
            </>
          )
        }
      >
        <div class="grid">
          <Field form={form} name="name" label="Name">
            <input {...form.bind('name')} autocomplete="off" spellcheck={false} required />
          </Field>
          <Field form={form} name="kind" label="Kind">
            <select {...form.bind('kind')}>
              <option value="expr">Expression (PromQL)</option>
              <option value="check_state">Check is down</option>
            </select>
          </Field>
          <Field form={form} name="severity" label="Severity">
            <select {...form.bind('severity')}>
              {severities.map((s) => (
                <option value={s}>{cap(s)}</option>
              ))}
            </select>
          </Field>
        </div>
        {v.kind === 'expr' ? (
          <>
            <div class="field">
              <label for="f-expr">Expression</label>
              <textarea
                {...form.bind('expr')}
                rows={3}
                spellcheck={false}
                autocomplete="off"
                placeholder="avg_over_time(probe_icmp_loss_ratio[5m]) > 0.2"
                aria-describedby={form.errors.expr ? 'f-expr-err' : 'f-expr-help'}
              />
              <p class="help" id="f-expr-help">
                Every series the expression yields is an alert; its labels name it.
              </p>
              {form.errors.expr && <ExprError expr={v.expr} message={form.errors.expr} />}
            </div>
            <Preview expr={v.expr} />
          </>
        ) : (
          <div class="grid">
            <Field form={form} name="check_id" label="Check" help="Alert while this check is down.">
              <select {...form.bind('check_id')}>
                <option value="">(any matching the selector)</option>
                {checks.map((c) => (
                  <option value={c.id}>{c.name}</option>
                ))}
              </select>
            </Field>
            <Field
              form={form}
              name="check_selector"
              label="Check selector"
              help={'Over check, kind, node and the check\u2019s labels, e.g. {kind="icmp", node=~"gw.*"}.'}
            >
              <input {...form.bind('check_selector')} autocomplete="off" spellcheck={false} />
            </Field>
          </div>
        )}
        <div class="grid">
          <Field form={form} name="for" label="For" help="Pending this long before firing.">
            <input {...form.bind('for')} placeholder="0s" autocomplete="off" />
          </Field>
          <Field form={form} name="keep_firing_for" label="Keep firing for">
            <input {...form.bind('keep_firing_for')} placeholder="0s" autocomplete="off" />
          </Field>
          <Field form={form} name="interval" label="Evaluate every">
            <input {...form.bind('interval')} placeholder="15s" autocomplete="off" />
          </Field>
        </div>
        <KeyValueField form={form} name="labels" label="Labels" help="Added to each alert's labels." />
        <KeyValueField
          form={form}
          name="annotations"
          label="Annotations"
          help="Templates: {{ $labels.node }}, {{ $value }}, {{ humanize $value }}. An entry left empty is left out."
        />
        <ChannelChoice form={form} channels={channels} />
        <EscalationSteps form={form} channels={channels} />
        <div class="field check">
          <label>
            <input type="checkbox" {...form.bind('enabled')} checked={!!v.enabled} value={undefined} /> Enabled
          </label>
        </div>
      </EditorForm>
    </section>
  );
}

// What a rule watches, in words: its expression, or "<check> is down" with the check's name
// (`checkNames`: id -> name; a deleted check is named by its id).
export function ruleCondition(r, checkNames) {
  if (r.kind === 'expr') return <code>{r.expr}</code>;
  const check = r.check_id && (
    <a href={`/checks/${r.check_id}`}>{checkNames.get(r.check_id) ?? `check #${r.check_id} (deleted)`}</a>
  );
  return (
    <>
      {check || (r.check_selector ? 'Every check' : 'A check')}
      {r.check_selector && (
        <>
          {check ? ' or ' : ' matching '}
          <code>{r.check_selector}</code>
        </>
      )}{' '}
      is down
    </>
  );
}

// The names of the checks that rules name by id, read one by one (a few, not every check).
function useCheckNames(rules) {
  const [names, setNames] = useState(new Map());
  const ids = [...new Set((rules || []).map((r) => r.check_id).filter(Boolean))].sort().join(',');
  useEffect(() => {
    let live = true;
    Promise.all(
      ids
        .split(',')
        .filter(Boolean)
        .map((id) =>
          get(`/api/v1/checks/${id}`).then(
            (r) => [+id, r.data.name],
            () => null,
          ),
        ),
    ).then((pairs) => live && setNames(new Map(pairs.filter(Boolean))));
    return () => {
      live = false;
    };
  }, [ids]);
  return names;
}

// The built-in rules fire but tell nobody until a channel is attached: said on the rules list and
// on the overview, where a server set up without the UI's first-run step is first seen.
export function UnsentNotice({ rules }) {
  if (!rules.some((r) => r.builtin && r.enabled && !r.channels.length)) return null;
  return (
    <p class="notice" id="rules-unsent">
      The built-in rules notify nobody yet. <a href="/welcome/alerts">Choose where to send alerts</a>.
    </p>
  );
}

export function Rules() {
  const list = useResourceList('/api/v1/alert-rules', {
    noun: 'rules',
    all: true,
    debounceMs: 200,
    reloadOn: (e) => e.kind?.startsWith('alert_rule.'),
  });
  const checkNames = useCheckNames(list.items);
  const columns = [
    {
      label: 'Rule',
      cell: (r) => (
        <>
          <a href={`/alerts/rules/${r.id}`}>{r.name}</a>
          {r.builtin && (
            <span class="chip" title="Made by Telltale at the first start; edit or delete it like any rule">
              built-in
            </span>
          )}
          {!r.enabled && <span class="chip">disabled</span>}
        </>
      ),
    },
    { label: 'Severity', cell: (r) => <SeverityChip severity={r.severity} /> },
    { label: 'Condition', cell: (r) => ruleCondition(r, checkNames) },
    { label: 'For', cell: (r) => r.for },
    { label: 'Notifies', cell: (r) => (r.channels.length ? `${r.channels.length} channel(s)` : 'nobody') },
  ];
  return (
    <ListPage
      id="rules-title"
      title="Alert rules"
      nav={<AlertsNav here="/alerts/rules" />}
      create={{ label: 'New rule', href: '/alerts/rules/new' }}
      list={list}
      table={{
        class: 'rules',
        columns,
        empty: 'No alert rules yet.',
        row: (r) => ({ class: r.enabled ? '' : 'muted' }),
      }}
    >
      <UnsentNotice rules={list.items || []} />
    </ListPage>
  );
}
