// Settings › Configuration: the server's configuration as a file (what `telltale export`
// writes), and a file applied to it (what `telltale apply` does), with its plan shown first.
import { useState } from 'preact/hooks';
import { post } from '../api.js';
import { Page } from '../ui.jsx';
import { useCan, useSession } from '../session.jsx';
import { SettingsNav } from './settings.jsx';

// The changes of an apply as lines of a diff: + made, ~ changed (with the fields), - deleted.
export function planLines(changes) {
  const lines = [];
  let unchanged = 0;
  for (const c of changes) {
    const what = `${c.kind}/${c.name}`;
    if (c.action === 'create') lines.push(['create', `+ ${what}`]);
    else if (c.action === 'delete') lines.push(['delete', `- ${what}`]);
    else if (c.action === 'update') lines.push(['update', `~ ${what}: ${c.fields.join(', ')}`]);
    else unchanged++;
  }
  if (unchanged) lines.push(['unchanged', `= ${unchanged} unchanged`]);
  return lines;
}

export function Configuration() {
  const session = useSession();
  const operator = useCan('operator');
  const [text, setText] = useState('');
  const [prune, setPrune] = useState(false);
  const [result, setResult] = useState(null); // {dryRun, changes, changed}
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const run = async (dryRun) => {
    setBusy(true);
    setError(null);
    try {
      const r = (await post('/api/v1/apply', { document: text, dry_run: dryRun, prune })).data;
      setResult({ dryRun, changes: r.changes, changed: r.changed });
    } catch (e) {
      setResult(null);
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const lines = result ? planLines(result.changes) : [];
  return (
    <Page
      id="settings-title"
      title="Configuration"
      nav={<SettingsNav here="/settings/configuration" admin={session?.role === 'admin'} />}
    >
      <p class="muted">
        Nodes, checks, alert rules, channels, silences, maintenance windows, inhibit rules and trap users as one YAML
        file, matched by name. The same file works with <code>telltale apply -f</code> and <code>telltale export</code>.
      </p>
      <p>
        <a class="button" href="/api/v1/export?format=yaml" download="telltale.yaml">
          Download the configuration
        </a>
      </p>
      {operator && (
        <form class="card apply" onSubmit={(e) => e.preventDefault()}>
          <h2>Apply a file</h2>
          <label for="apply-text">YAML or JSON (secrets written out: variables are for the command line)</label>
          <textarea
            id="apply-text"
            rows={14}
            spellcheck={false}
            value={text}
            onInput={(e) => {
              setText(e.currentTarget.value);
              setResult(null);
            }}
          />
          <label class="check">
            <input type="checkbox" checked={prune} onChange={(e) => setPrune(e.currentTarget.checked)} /> Delete what
            the file's kinds do not list (prune)
          </label>
          <div class="actions">
            <button type="button" disabled={busy || !text.trim()} onClick={() => run(true)}>
              Show the plan
            </button>
            <button
              type="button"
              class="primary"
              disabled={busy || !result?.dryRun || !lines.some(([a]) => a !== 'unchanged')}
              onClick={() => run(false)}
            >
              Apply
            </button>
          </div>
          {error && (
            <div class="form-error" role="alert">
              <p>{error.message}</p>
              {error.fields?.length > 0 && (
                <ul class="apply-errors">
                  {error.fields.map((f) => (
                    <li>
                      <code>{f.field}</code>: {f.message}
                    </li>
                  ))}
                </ul>
              )}
            </div>
          )}
          {result && (
            <div class="plan" aria-live="polite">
              <p>
                {result.dryRun
                  ? 'Plan (nothing changed yet):'
                  : result.changed
                    ? 'Applied:'
                    : 'No changes: the server already holds what the file declares.'}
              </p>
              <pre>
                {lines.map(([action, line]) => (
                  <div class={'plan-' + action}>{line}</div>
                ))}
              </pre>
            </div>
          )}
        </form>
      )}
    </Page>
  );
}
