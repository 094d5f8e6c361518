// Small shared pieces: form fields with their server-side errors, status badges, times.
import { useEffect, useRef, useState } from 'preact/hooks';
import { setQueryParam } from './router.js';

export const STATUSES = ['down', 'degraded', 'unknown', 'up'];
export const cap = (s) => (s ? s[0].toUpperCase() + s.slice(1) : '');
// A PromQL string literal.
export const quote = (s) => '"' + String(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') + '"';

export function Badge({ status }) {
  const st = ['up', 'down', 'degraded', 'unknown', 'pending', 'paused'].includes(status) ? status : 'unknown';
  return <span class={'badge s-' + st}>{cap(st)}</span>;
}

export function Time({ at, never = 'never' }) {
  if (!at) return <span class="muted">{never}</span>;
  const d = new Date(at);
  return (
    <time datetime={at} title={d.toLocaleString()}>
      {ago(d)}
    </time>
  );
}

export function ago(d) {
  const s = Math.round((Date.now() - d.getTime()) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return d.toLocaleDateString();
}

// "k=v, k2=v2" -> {k: "v", k2: "v2"}; null when malformed.
export function parseLabels(s) {
  const out = {};
  for (const part of (s || '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const i = part.indexOf('=');
    if (i < 1) return null;
    out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}
// "node, site" or "node site" -> ["node", "site"]: label names as forms take them.
export const labelNames = (s) => (s || '').split(/[\s,]+/).filter(Boolean);
export const formatLabels = (labels) =>
  Object.entries(labels || {})
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');

// Form state: values, per-field errors from a thrown API error, a busy flag and the form's alert.
// submit(work) runs work(values); errors land next to their fields ("options.method" -> the
// field "options.method" first, then "options"; a field is one in values or one bound in the
// last render, such as an option not filled in yet), the rest in the alert.
export function useForm(initial) {
  const [values, setValues] = useState(initial);
  const [errors, setErrors] = useState({});
  const [alert, setAlert] = useState('');
  const [busy, setBusy] = useState(false);
  const bound = useRef(new Set()).current;
  const set = (name, value) => {
    setValues((v) => ({ ...v, [name]: value }));
    setErrors((e) => (e[name] ? { ...e, [name]: null } : e));
    setAlert('');
  };
  async function submit(e, work) {
    e?.preventDefault();
    setBusy(true);
    setErrors({});
    setAlert('');
    try {
      await work(values);
    } catch (err) {
      const placed = {};
      let unplaced = 0;
      for (const f of err.fields || []) {
        const name = String(f.field);
        const key = [name, name.split(/[[]/)[0], name.split(/[.[]/)[0]].find((k) => k in values || bound.has(k));
        if (key) placed[key] = placed[key] ? placed[key] + ' ' + f.message : f.message;
        else unplaced++;
      }
      setErrors(placed);
      setAlert(Object.keys(placed).length && !unplaced ? 'Please correct the highlighted fields.' : err.message);
      requestAnimationFrame(() => document.querySelector('[aria-invalid=true]')?.focus());
    } finally {
      setBusy(false);
    }
  }
  // A control's id and error wiring for the field `name`, which errors may now land on: for
  // controls whose value lives elsewhere (a list's items); bind(name) adds the value.
  const field = (name) => (
    bound.add(name),
    {
      id: 'f-' + name.replace(/\W/g, '-'),
      'aria-invalid': errors[name] ? 'true' : undefined,
      'aria-describedby': errors[name] ? 'f-' + name.replace(/\W/g, '-') + '-err' : undefined,
    }
  );
  const bind = (name) => ({
    ...field(name),
    name,
    value: values[name] ?? '',
    onInput: (e) => set(name, e.currentTarget.type === 'checkbox' ? e.currentTarget.checked : e.currentTarget.value),
  });
  return { values, set, setValues, errors, setErrors, alert, setAlert, busy, submit, bind, field };
}

// Help written by the server is plain text in which `backticks` mark code; other help is markup.
export function HelpText({ text }) {
  if (typeof text !== 'string') return text;
  return text.split('`').map((part, i) => (i % 2 ? <code>{part}</code> : part));
}

// A conflict the server names without a field (NODE_EXISTS, …) placed at the field it is about,
// for useForm; returns the error to throw on.
export function conflictAt(err, code, field) {
  if (err.code === code && !err.fields?.length) err.fields = [{ field, message: err.message }];
  return err;
}

export function Field({ form, name, label, help, children, class: cls }) {
  const id = 'f-' + name.replace(/\W/g, '-');
  return (
    <div class={'field ' + (cls || '')}>
      <label for={id}>{label}</label>
      {children}
      {help && (
        <p class="help">
          <HelpText text={help} />
        </p>
      )}
      {form.errors[name] && (
        <p class="field-error" id={id + '-err'}>
          {form.errors[name]}
        </p>
      )}
    </div>
  );
}

export function FormAlert({ form }) {
  return form.alert ? (
    <p class="form-error" role="alert">
      {form.alert}
    </p>
  ) : null;
}

export function useTitle(title) {
  useEffect(() => {
    document.title = `${title} · Telltale`;
  }, [title]);
}

// A page: its title (the document's too), the heading row with `nav` and, on the right,
// `actions`, then the children.
export function Page({ id, title, nav, actions, children }) {
  useTitle(title);
  return (
    <section aria-labelledby={id}>
      <div class="head">
        <h1 id={id} tabIndex={-1}>
          {title}
        </h1>
        {nav}
        <span class="spacer" />
        {actions}
      </div>
      {children}
    </section>
  );
}

// The buttons that count a list's items in each state and filter by it, and the search field:
// both kept in the address (`param`, `q`), so a filtered list can be linked to.
export function StateCounts({ states, counts, chosen, param, label }) {
  const toggle = (s) => setQueryParam(param, chosen.includes(s) ? chosen.filter((x) => x !== s) : [...chosen, s]);
  return (
    <div class="counts" role="group" aria-label={label}>
      {states.map((s) => (
        <button
          type="button"
          class={'count s-' + s}
          aria-pressed={chosen.includes(s) ? 'true' : 'false'}
          onClick={() => toggle(s)}
        >
          <span class="n">{counts[s]}</span> {cap(s)}
        </button>
      ))}
    </div>
  );
}

export function SearchField({ value, placeholder }) {
  return (
    <div class="field">
      <label for="q">Search</label>
      <input
        id="q"
        type="search"
        value={value}
        placeholder={placeholder}
        autocomplete="off"
        spellcheck={false}
        onInput={(e) => setQueryParam('q', e.currentTarget.value)}
      />
    </div>
  );
}

// A shell command to run, and a button that copies it.
export function Command({ id, command }) {
  return (
    <>
      <code class="command" id={id}>
        {command}
      </code>
      <p>
        <button type="button" onClick={() => navigator.clipboard?.writeText(command)}>
          Copy
        </button>
      </p>
    </>
  );
}
