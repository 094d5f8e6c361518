// The one field for maps of text (labels, annotations, headers): a row of name and value per
// entry, and always one blank row to add the next. The form holds the rows as [name, value]
// pairs; toPairs and fromPairs convert from and to the API's object. The server's errors for
// "<field>.<name>" land on that entry's row, the others under the field.
import { HelpText } from '../ui.jsx';

export const toPairs = (obj) => Object.entries(obj || {}).map(([k, v]) => [k, String(v)]);

// The pairs as an object. Blank rows are skipped, and so is an entry without a value (an empty
// label is no label, and the server refuses empty annotations); a value without a name, or a
// name given twice, throws a form error for `field`.
export function fromPairs(pairs, field) {
  const out = {};
  const fields = [];
  for (const [k, v] of pairs || []) {
    const key = k.trim();
    const value = v.trim();
    if (!key && value) fields.push({ field, message: `The value “${value}” has no name.` });
    else if (key in out) fields.push({ field: `${field}.${key}`, message: 'is given twice.' });
    else if (key && value) out[key] = value;
  }
  if (fields.length) throw { fields, message: 'Please correct the highlighted fields.' };
  return out;
}

export function KeyValueField({ form, name, label, help, keyHint = 'key', valueHint = 'value' }) {
  const rows = [...(form.values[name] || []), ['', '']];
  const whole = form.field(name);
  // A change drops the errors of the field and of its entries: rows may have moved.
  const put = (pairs) => {
    form.set(
      name,
      pairs.filter(([k, v], i) => i < pairs.length - 1 || k || v),
    );
    form.setErrors((e) => Object.fromEntries(Object.entries(e).filter(([k]) => !k.startsWith(name + '.'))));
  };
  const edit = (i, j, text) => put(rows.map((r, n) => (n === i ? (j ? [r[0], text] : [text, r[1]]) : r)));
  return (
    <div class="field kv">
      <span class="label" id={whole.id + '-label'}>
        {label}
      </span>
      <div class="kv-rows" role="group" aria-labelledby={whole.id + '-label'}>
        {rows.map(([k, v], i) => {
          const entry = k.trim() ? form.field(`${name}.${k.trim()}`) : {};
          const err = entry.id && form.errors[`${name}.${k.trim()}`];
          return (
            <div class="kv-row" key={i}>
              <input
                {...(i === 0 ? whole : {})}
                value={k}
                onInput={(e) => edit(i, 0, e.currentTarget.value)}
                aria-label={`${label} ${keyHint} ${i + 1}`}
                placeholder={keyHint}
                autocomplete="off"
                spellcheck={false}
              />
              <input
                id={entry.id}
                aria-invalid={entry['aria-invalid']}
                aria-describedby={entry['aria-describedby']}
                value={v}
                onInput={(e) => edit(i, 1, e.currentTarget.value)}
                aria-label={`${label} ${valueHint} ${i + 1}`}
                placeholder={valueHint}
                autocomplete="off"
                spellcheck={false}
              />
              {i < rows.length - 1 && (
                <button
                  type="button"
                  onClick={() => put(rows.filter((_, n) => n !== i))}
                  aria-label={`Remove ${k || 'entry ' + (i + 1)}`}
                >
                  ×
                </button>
              )}
              {err && (
                <p class="field-error" id={entry.id + '-err'}>
                  {k.trim()}: {err}
                </p>
              )}
            </div>
          );
        })}
      </div>
      {help && (
        <p class="help">
          <HelpText text={help} />
        </p>
      )}
      {form.errors[name] && (
        <p class="field-error" id={whole.id + '-err'}>
          {form.errors[name]}
        </p>
      )}
    </div>
  );
}
