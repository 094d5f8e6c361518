// The first-run step after setup: where to send alerts. A fresh server has built-in alert rules
// (check down, node down, certificate expiring, packet loss) that notify nobody; this page makes
// one channel with the channel kinds' own option form (GET /api/v1/channel-kinds), sends a test
// through it, and attaches it to the built-in rules, which stay ordinary rules to edit later.
import { useEffect, useState } from 'preact/hooks';
import { get, getAll, post, patch } from '../api.js';
import { navigate } from '../router.js';
import { useForm, FormAlert } from '../ui.jsx';
import { optionValues } from '../components/option_fields.jsx';
import { saveResource } from '../components/resource_list.jsx';
import { CFG, channelBody, ChannelFields, TestResult } from './channels.jsx';

// The kinds most people start with first; the others follow in the server's order.
const FIRST = ['email', 'ntfy', 'telegram', 'slack', 'webhook'];

export const firstKinds = (kinds) =>
  [...kinds].sort((a, b) => {
    const rank = (k) => (FIRST.includes(k.kind) ? FIRST.indexOf(k.kind) : FIRST.length);
    return rank(a) - rank(b);
  });

// Adds the channel to every built-in rule that does not send to it yet; returns the rules changed.
export async function attachToBuiltins(rules, channelId) {
  const changed = [];
  for (const r of rules.filter((x) => x.builtin && !x.channels.includes(channelId)))
    changed.push((await patch(`/api/v1/alert-rules/${r.id}`, { channels: [...r.channels, channelId] })).data);
  return changed;
}

// An annotation template as a sentence: "Check {{ $labels.check }} is down" -> "Check ‹check› is down".
export const templateText = (t) =>
  (t || '').replace(/\{\{\s*\$labels\.(\w+)\s*\}\}/g, '‹$1›').replace(/\{\{[^}]*\$value\s*\}\}/g, 'N');

export function WelcomeAlerts() {
  const [kinds, setKinds] = useState(null);
  const [rules, setRules] = useState([]);
  const [error, setError] = useState('');
  const [channel, setChannel] = useState(null); // saved by "Send test" or "Save"
  const [test, setTest] = useState(null);
  const form = useForm({ name: 'alerts', kind: '' });
  useEffect(() => {
    document.title = 'Where to send alerts · Telltale';
    Promise.all([get('/api/v1/channel-kinds'), getAll('/api/v1/alert-rules')]).then(
      ([k, r]) => {
        const sorted = firstKinds(k.data);
        setKinds(sorted);
        setRules(r.filter((x) => x.builtin));
        form.setValues({ name: 'alerts', kind: sorted[0].kind, ...optionValues(sorted[0].options, CFG, {}) });
      },
      (err) => setError(err.message),
    );
  }, []);
  if (error)
    return (
      <p class="error narrow" role="alert">
        {error}
      </p>
    );
  if (!kinds) return <p class="loading">Loading…</p>;
  const kind = kinds.find((k) => k.kind === form.values.kind) || kinds[0];
  const chooseKind = (e) => {
    const k = kinds.find((x) => x.kind === e.currentTarget.value);
    setChannel(null);
    setTest(null);
    form.setValues({ ...form.values, kind: k.kind, ...optionValues(k.options, CFG, {}) });
  };
  // Creates the channel, or changes the one this page created.
  const save = async (v) => {
    const saved = await saveResource('/api/v1/channels', channel, channelBody(kind, v, !channel));
    setChannel(saved);
    return saved;
  };
  const sendTest = () =>
    form.submit(null, async (v) => {
      setTest({ busy: true });
      try {
        const c = await save(v);
        await post(`/api/v1/channels/${c.id}/test`);
        setTest({ ok: true });
      } catch (err) {
        setTest(null);
        throw err;
      }
    });
  const finish = (e) =>
    form.submit(e, async (v) => {
      const c = await save(v);
      await attachToBuiltins(rules, c.id);
      navigate('/');
    });
  return (
    <section aria-labelledby="welcome-title" class="editor welcome">
      <h1 id="welcome-title" tabIndex={-1}>
        Where should alerts go?
      </h1>
      <p>
        Telltale watches every check and node with these built-in alert rules; tell it where to send what they find.
        They are ordinary rules: change or delete them under <a href="/alerts/rules">Alerts › Rules</a>.
      </p>
      <ul class="builtin-rules">
        {rules.map((r) => (
          <li>
            <strong>{r.name}</strong> <span class="muted small">{templateText(r.annotations.summary)}</span>
          </li>
        ))}
      </ul>
      <form noValidate onSubmit={finish}>
        <FormAlert form={form} />
        <ChannelFields
          form={form}
          kinds={kinds}
          kind={kind}
          kindLabel="Send alerts by"
          nameLabel="Channel name"
          kindSelect={{ onChange: chooseKind, disabled: !!channel }}
        />
        <div class="actions left">
          <button type="button" onClick={sendTest} disabled={form.busy || test?.busy}>
            Send test
          </button>
          <button type="submit" class="primary" disabled={form.busy}>
            Send the built-in alerts here
          </button>
          <a href="/" class="button">
            Skip for now
          </a>
        </div>
      </form>
      {test && <TestResult test={test} />}
    </section>
  );
}
