// The form of an option table (core/options.h as GET /api/v1/check-kinds and
// /api/v1/channel-kinds describe it): one field per option, its value as the form holds it and
// back. The check editor keeps its options under "options.<name>", the channel editor under
// "config.<name>", which are also the field names of the server's 422 details.
import { Field } from '../ui.jsx';

// An option's value as the form holds it: text, a boolean for checkboxes, '' for "not set"
// (the kind's default applies, and the field shows it). A secret reads "********" (kept when sent
// back), as do the secret parts of URLs and header maps: their text goes back as it came.
export function toForm(spec, v) {
  if (v === undefined || v === null) return '';
  if (spec.type === 'string_list') return v.join('\n');
  if (spec.type === 'string_map')
    return Object.entries(v)
      .map(([k, x]) => `${k}: ${x}`)
      .join('\n');
  return spec.type === 'boolean' ? !!v : String(v);
}

// The form's text back to the option's JSON value; undefined leaves the option out (default).
export function fromForm(spec, text) {
  if (text === '' || text === undefined) return undefined;
  if (spec.type === 'boolean') return !!text;
  if (spec.type === 'integer' || spec.type === 'number') return Number(text);
  if (spec.type === 'string_list')
    return text
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean);
  if (spec.type === 'string_map') {
    const out = {};
    for (const line of text
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const i = line.indexOf(':');
      out[i < 0 ? line : line.slice(0, i).trim()] = i < 0 ? '' : line.slice(i + 1).trim();
    }
    return out;
  }
  return text;
}

// The form values of stored options: {prefix + name: text}.
export function optionValues(specs, prefix, options) {
  const out = {};
  for (const o of specs || []) out[prefix + o.name] = toForm(o, options?.[o.name]);
  return out;
}

// The options object of the form values; options left empty are left out.
export function optionsBody(specs, prefix, values) {
  const out = {};
  for (const o of specs) {
    const x = fromForm(o, values[prefix + o.name]);
    if (x !== undefined) out[o.name] = x;
  }
  return out;
}

function OptionField({ form, spec, prefix }) {
  const name = prefix + spec.name;
  const b = form.bind(name);
  const dflt = spec.default === null || spec.default === undefined ? '' : toForm(spec, spec.default);
  const range = spec.min !== undefined ? ` (${spec.min}–${spec.max})` : '';
  let input;
  if (spec.type === 'boolean') {
    return (
      <div class="field check">
        <label>
          <input
            type="checkbox"
            {...b}
            checked={form.values[name] === undefined || form.values[name] === '' ? !!spec.default : !!form.values[name]}
            value={undefined}
          />{' '}
          {spec.name}
        </label>
        <p class="help">{spec.help}</p>
      </div>
    );
  }
  if (spec.type === 'choice')
    input = (
      <select {...b}>
        {!spec.required && <option value="">default ({String(dflt)})</option>}
        {spec.choices.map((c) => (
          <option value={c}>{c}</option>
        ))}
      </select>
    );
  else if (spec.type === 'string_list' || spec.type === 'string_map') {
    input = (
      <textarea
        {...b}
        rows={3}
        spellcheck={false}
        placeholder={spec.type === 'string_map' ? 'Name: value (one a line)' : 'one a line'}
      />
    );
  } else {
    input = (
      <input
        {...b}
        type={spec.secret ? 'password' : spec.type === 'integer' || spec.type === 'number' ? 'number' : 'text'}
        step={spec.type === 'number' ? 'any' : undefined}
        placeholder={String(dflt)}
        autocomplete={spec.secret ? 'new-password' : 'off'}
        spellcheck={false}
      />
    );
  }
  // Whole secrets read "********"; so do the secrets inside URLs and header values.
  const masked = spec.secret ? form.values[name] === '********' : String(form.values[name] ?? '').includes('********');
  const kept = masked
    ? ` Stored${spec.secret ? '' : ' secrets (********)'}; kept unless you change ${spec.secret ? 'it' : 'them'}.`
    : '';
  return (
    <Field
      form={form}
      name={name}
      label={spec.name + (spec.required ? ' (required)' : '')}
      help={spec.help + range + kept}
    >
      {input}
    </Field>
  );
}

// The fields of a kind's options in a fieldset titled `legend`; nothing when it has none.
export function OptionFields({ form, specs, prefix, legend, kindKey }) {
  if (!specs.length) return null;
  return (
    <fieldset class="options">
      <legend>{legend}</legend>
      <div class="grid">
        {specs.map((o) => (
          <OptionField form={form} spec={o} prefix={prefix} key={kindKey + o.name} />
        ))}
      </div>
    </fieldset>
  );
}
