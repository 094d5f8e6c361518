// The form of an option table (core/options.h as GET /api/v1/check-kinds and
// /api/v1/channel-kinds describe it): one field per option, its value as the form holds it and
// back. The check editor keeps its options under "options.<name>", the channel editor under
// "config.<name>", which are also the field names of the server's 422 details.
import { Field, HelpText } from '../ui.jsx';
import { KeyValueField, toPairs, fromPairs } from './key_value.jsx';

// An option's value as the form holds it: text, a boolean for checkboxes, [name, value] pairs
// for maps (the key=value field), '' for "not set" (the kind's default applies, and the field
// shows it). A secret reads "********" (kept when sent back), as do the secret parts of URLs
// and header maps: their text goes back as it came.
export function toForm(spec, v) {
  if (v === undefined || v === null) return '';
  if (spec.type === 'string_list') return v.join('\n');
  if (spec.type === 'string_map') return toPairs(v);
  return spec.type === 'boolean' ? !!v : String(v);
}

// The form's value back to the option's JSON value; undefined leaves the option out (default).
// A map's entries are checked as the key=value field checks them: errors name `field`.
export function fromForm(spec, value, field = spec.name) {
  if (value === '' || value === undefined) return undefined;
  if (spec.type === 'string_map') {
    const map = fromPairs(value, field);
    return Object.keys(map).length ? map : undefined;
  }
  if (spec.type === 'boolean') return !!value;
  if (spec.type === 'integer' || spec.type === 'number') return Number(value);
  if (spec.type === 'string_list')
    return value
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean);
  return value;
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
    const x = fromForm(o, values[prefix + o.name], prefix + o.name);
    if (x !== undefined) out[o.name] = x;
  }
  return out;
}

// What a field says of the stored secrets it shows: whole secrets read "********", and so do
// the secrets inside URLs and header values.
function keptNote(spec, value) {
  const masked = spec.secret ? value === '********' : JSON.stringify(value ?? '').includes('********');
  if (!masked) return '';
  return ` Stored${spec.secret ? '' : ' secrets (********)'}; kept unless you change ${spec.secret ? 'it' : 'them'}.`;
}

function OptionField({ form, spec, prefix }) {
  const name = prefix + spec.name;
  const label = (spec.label || spec.name) + (spec.required ? ' (required)' : '');
  if (spec.type === 'string_map')
    return (
      <KeyValueField
        form={form}
        name={name}
        label={label}
        keyHint="name"
        help={spec.help + keptNote(spec, form.values[name])}
      />
    );
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
          {spec.label || spec.name}
        </label>
        <p class="help">
          <HelpText text={spec.help} />
        </p>
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
  else if (spec.type === 'string_list') {
    input = <textarea {...b} rows={3} spellcheck={false} placeholder="one a line" />;
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
  return (
    <Field form={form} name={name} label={label} help={spec.help + range + keptNote(spec, form.values[name])}>
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
