// Create or edit a check. The kind's options form, its facts for conditions and its defaults
// all come from GET /api/v1/check-kinds, so a new probe kind needs no UI change.
import { useEffect, useState } from 'preact/hooks';
import { CanWrite } from '../session.jsx';
import { KeyValueField, toPairs, fromPairs } from '../components/key_value.jsx';
import { get, post, patch } from '../api.js';
import { navigate } from '../router.js';
import { useLive, useEvents, nodesByName } from '../live.js';
import { Badge, useForm, Field, FormAlert, Command } from '../ui.jsx';
import { OptionFields, optionValues, optionsBody } from '../components/option_fields.jsx';
import { checkKinds } from '../kinds.js';
import { isAgentHost } from './host.jsx';
import { EditorError, confirmDelete } from '../components/resource_list.jsx';
import { useNotify, saveNotify, NotifyFields } from '../components/check_notify.jsx';

const OPT = 'options.';

function ConditionHelp({ kind }) {
  return (
    <details class="help-box">
      <summary>Condition help: facts of {kind.title || kind.kind}</summary>
      <p>
        One condition a line; all must hold. Examples: <code>status == 200 && latency &lt; 300ms</code>,{' '}
        <code>body contains "ok"</code>, <code>loss &lt; 20%</code>, <code>json("$.status") == "green"</code>.
      </p>
      <table class="facts-table">
        <thead>
          <tr>
            <th scope="col">Fact</th>
            <th scope="col">Type</th>
            <th scope="col">Meaning</th>
          </tr>
        </thead>
        <tbody>
          {kind.facts.map((f) => (
            <tr>
              <td>
                <code>{f.name}</code>
              </td>
              <td>{f.type}</td>
              <td>{f.help}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="muted small">
        Durations: <code>300ms</code> <code>1.5s</code> <code>2m</code>; ratios: <code>20%</code>; strings:{' '}
        <code>== != contains startswith endswith</code>; combine with <code>&& || !</code> and parentheses.
      </p>
    </details>
  );
}

// A run's samples: name{labels} value.
function Metrics({ metrics }) {
  return (
    <table class="facts-table metrics">
      <caption>Samples</caption>
      <tbody>
        {metrics.map((m) => (
          <tr>
            <td>
              <code>
                {m.name}
                {Object.keys(m.labels).length > 0 &&
                  `{${Object.entries(m.labels)
                    .map(([k, v]) => `${k}="${v}"`)
                    .join(', ')}}`}
              </code>
            </td>
            <td class="num">{m.value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

// Where a push check's job sends its heartbeats, with a curl line to copy.
export function PushUrl({ check }) {
  const url = location.origin + check.push_url;
  const curl = `curl -fsS -m 10 --retry 3 '${url}?status=up&msg=OK'`;
  return (
    <div class="notice push-url" role="status">
      <p>
        Push URL: <code id="push-url">{url}</code>
      </p>
      <p>Have the job call it when it succeeds, for example at the end of its script:</p>
      <Command id="push-curl" command={curl} />
    </div>
  );
}

function RunResult({ result }) {
  const facts = Object.entries(result.facts || {});
  return (
    <div class={'run-result card ' + (result.up ? 's-up-border' : 's-down-border')} role="status">
      <p>
        <strong>{result.up ? 'Up' : 'Down'}</strong> in {Math.round(result.duration_ms)} ms
        {result.error ? ` · ${result.error}` : ''}
        {result.message ? ` — ${result.message}` : ''}
      </p>
      {facts.length > 0 && (
        <table class="facts-table">
          <tbody>
            {facts.map(([k, v]) => (
              <tr>
                <td>
                  <code>{k}</code>
                </td>
                <td>{typeof v === 'object' ? JSON.stringify(v) : String(v)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {result.metrics && <Metrics metrics={result.metrics} />}
    </div>
  );
}

export function CheckEditor({ id, nodeId }) {
  const { nodes } = useLive();
  const [kinds, setKinds] = useState(null);
  const [check, setCheck] = useState(null);
  const [error, setError] = useState('');
  const [run, setRun] = useState(null);
  const [saved, setSaved] = useState('');
  const [created, setCreated] = useState(null); // a push check just created: its URL to copy
  const [notify, setNotify] = useNotify(id);
  const form = useForm({
    name: '',
    kind: '',
    target: '',
    interval: '',
    timeout: '',
    retries: '',
    node_id: nodeId || '',
    runs_on: '',
    labels: [],
    enabled: true,
    conditions: '',
  });

  useEffect(() => {
    (async () => {
      try {
        const k = await checkKinds();
        setKinds(k);
        if (!id) return;
        const c = (await get(`/api/v1/checks/${id}`)).data;
        setCheck(c);
        const spec = k.find((x) => x.kind === c.kind);
        const values = {
          name: c.name,
          kind: c.kind,
          target: c.target || '',
          interval: c.interval,
          timeout: c.timeout,
          retries: String(c.retries),
          node_id: c.node_id ? String(c.node_id) : '',
          runs_on: c.runs_on ? String(c.runs_on) : '',
          labels: toPairs(c.labels),
          enabled: c.enabled,
          conditions: (c.conditions || []).join('\n'),
        };
        form.setValues({ ...values, ...optionValues(spec?.options, OPT, c.options) });
      } catch (err) {
        setError(err.status === 404 ? 'This check does not exist (any more).' : err.message);
      }
    })();
    document.title = (id ? 'Edit check' : 'New check') + ' · Telltale';
  }, [id]);
  useEvents(
    (e) => {
      // Read again rather than patched: a new check's first run (at once) may change its state
      // before the first read answers, which would then be older than the event.
      if (id && e.topic === 'checks' && +e.subject === id && e.kind === 'check.state_changed')
        get(`/api/v1/checks/${id}`).then(
          (r) => setCheck(r.data),
          () => {},
        );
    },
    [id],
  );

  if (error) return <EditorError title="Check" error={error} back="/" backLabel="Back to the overview" />;
  if (created)
    return (
      <section aria-labelledby="check-title" class="editor">
        <h1 id="check-title" tabIndex={-1}>
          Check {created.name} created
        </h1>
        <FormAlert form={form} />
        {created.push_url && <PushUrl check={created} />}
        <p>
          <a class="button primary" href={`/checks/${created.id}`}>
            Go to the check
          </a>{' '}
          {created.node_id && <a href={`/nodes/${created.node_id}`}>Its node</a>}
        </p>
      </section>
    );
  if (!kinds || (id && !check)) return <p class="loading">Loading…</p>;
  // A new check starts as the first kind.
  const kind = kinds.find((k) => k.kind === form.values.kind) || kinds[0];

  // The form's values as the API's check body (kind always when `withKind`: a test needs it).
  const checkBody = (v, withKind) => {
    const labels = fromPairs(v.labels, 'labels');
    const body = {
      name: v.name.trim(),
      labels,
      enabled: !!v.enabled,
      conditions: v.conditions
        .split('\n')
        .map((s) => s.trim())
        .filter(Boolean),
      node_id: v.node_id ? Number(v.node_id) : null,
      runs_on: v.runs_on && !kind.passive ? Number(v.runs_on) : null,
      options: optionsBody(kind.options, OPT, v),
    };
    if (withKind) body.kind = kind.kind;
    if (!kind.passive) body.target = v.target.trim();
    for (const k of ['interval', 'timeout']) if (v[k].trim()) body[k] = v[k].trim();
    if (String(v.retries).trim()) body.retries = Number(v.retries);
    return body;
  };
  // The check's own alert rule follows the check; a failure there leaves the check saved.
  const saveRule = async (c) => {
    try {
      const own = await saveNotify(c, notify);
      setNotify((n) => ({ ...n, own }));
      return true;
    } catch (err) {
      form.setAlert(`The check is saved, but its alert rule is not: ${err.message}`);
      return false;
    }
  };
  const work = async (v) => {
    const body = checkBody(v, !id);
    if (id) {
      const c = (await patch(`/api/v1/checks/${id}`, body)).data;
      setCheck(c);
      if (await saveRule(c)) setSaved('Saved.');
    } else {
      const c = (await post('/api/v1/checks', body)).data;
      const ruled = await saveRule(c);
      // A push check waits for its job: its URL is what to do next. Otherwise on to the node
      // or the check, where the first run (at once) shows.
      if (c.push_url || !ruled) setCreated(c);
      else navigate(c.node_id ? `/nodes/${c.node_id}` : `/checks/${c.id}`);
    }
  };
  // Runs the form's values once without saving them.
  // The server's refusals (a bad field, CHECK_TESTS_BUSY) land where a save's would.
  const test = () =>
    form.submit(null, async (v) => {
      setSaved('');
      setRun({ busy: true });
      try {
        setRun({ result: (await post('/api/v1/checks/test', checkBody(v, true))).data });
      } catch (err) {
        setRun(null);
        throw err;
      }
    });
  const remove = async () => {
    try {
      if (await confirmDelete(`/api/v1/checks/${id}`, `Delete check “${check.name}”?`))
        navigate(check.node_id ? `/nodes/${check.node_id}` : '/');
    } catch (err) {
      form.setAlert(err.message);
    }
  };
  const nodeList = nodesByName();
  const back = form.values.node_id ? `/nodes/${form.values.node_id}` : '/';
  return (
    <section aria-labelledby="check-title" class="editor">
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href={back}>{form.values.node_id ? (nodes.get(+form.values.node_id)?.name ?? 'Node') : 'Overview'}</a> ›{' '}
        <span>{id ? check.name : 'New check'}</span>
      </nav>
      <div class="head">
        <h1 id="check-title" tabIndex={-1}>
          {id ? `Check ${check.name}` : 'New check'}
        </h1>
        {check && <Badge status={check.state} />}
      </div>
      <form
        noValidate
        onSubmit={(e) => {
          setSaved('');
          form.submit(e, work);
        }}
      >
        <FormAlert form={form} />
        <div class="grid">
          <Field form={form} name="kind" label="Kind" help={kind.target_help}>
            <select {...form.bind('kind')} value={kind.kind} disabled={!!id}>
              {kinds.map((k) => (
                <option value={k.kind}>{k.title || k.kind}</option>
              ))}
            </select>
          </Field>
          <Field form={form} name="name" label="Name">
            <input {...form.bind('name')} autocomplete="off" spellcheck={false} required />
          </Field>
          {!kind.passive && (
            <Field form={form} name="target" label="Target">
              <input
                {...form.bind('target')}
                autocomplete="off"
                spellcheck={false}
                placeholder={kind.target_example}
                required
              />
            </Field>
          )}
          <Field form={form} name="node_id" label="Node">
            <select {...form.bind('node_id')}>
              <option value="">(none)</option>
              {nodeList.map((n) => (
                <option value={n.id}>{n.name}</option>
              ))}
            </select>
          </Field>
          {!kind.passive && (
            <Field
              form={form}
              name="runs_on"
              label="Runs on"
              help="The hub, or a host whose agent runs the probe from inside its own network."
            >
              <select {...form.bind('runs_on')}>
                <option value="">the hub</option>
                {nodeList.filter(isAgentHost).map((n) => (
                  <option value={n.id}>{n.name}</option>
                ))}
              </select>
            </Field>
          )}
          <Field form={form} name="interval" label="Interval">
            <input {...form.bind('interval')} placeholder={kind.default_interval} autocomplete="off" />
          </Field>
          <Field form={form} name="timeout" label="Timeout">
            <input {...form.bind('timeout')} placeholder={kind.default_timeout} autocomplete="off" />
          </Field>
          <Field form={form} name="retries" label="Retries" help="Failures in a row before the check is down.">
            <input {...form.bind('retries')} type="number" min="0" placeholder="0" />
          </Field>
          <KeyValueField form={form} name="labels" label="Labels" />
        </div>
        <div class="field check">
          <label>
            <input type="checkbox" {...form.bind('enabled')} checked={!!form.values.enabled} value={undefined} />{' '}
            Enabled
          </label>
        </div>
        <Field form={form} name="conditions" label="Conditions (one a line)">
          <textarea {...form.bind('conditions')} rows={3} spellcheck={false} placeholder={kind.condition_example} />
        </Field>
        <ConditionHelp kind={kind} />
        <OptionFields
          form={form}
          specs={kind.options}
          prefix={OPT}
          legend={`${kind.title || kind.kind} options`}
          kindKey={kind.kind}
        />
        <CanWrite>
          <NotifyFields notify={notify} setNotify={setNotify} checkName={form.values.name.trim()} />
        </CanWrite>
        <div class="actions left">
          <CanWrite>
            <button type="submit" class="primary" disabled={form.busy}>
              {id ? 'Save' : 'Create check'}
            </button>
            {!kind.passive && (
              <button
                type="button"
                onClick={test}
                disabled={run?.busy}
                title="Runs the check once with these settings, without saving them"
              >
                Test
              </button>
            )}
            {id && (
              <button type="button" class="danger" onClick={remove}>
                Delete check
              </button>
            )}
          </CanWrite>
          <span role="status" class="muted">
            {saved}
          </span>
        </div>
      </form>
      {check?.push_url && <PushUrl check={check} />}
      {run?.busy && (
        <p class="muted" role="status">
          Running…
        </p>
      )}
      {run?.result && <RunResult result={run.result} />}
    </section>
  );
}
