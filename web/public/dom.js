// DOM helpers. h() mirrors a JSX factory so views can move to Preact later.
// Data only ever becomes text nodes or attribute values: never innerHTML.
export const $ = (sel, root = document) => root.querySelector(sel);

export function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (v != null && v !== false) el.setAttribute(k, v === true ? '' : v);
  }
  mount(el, kids);
  return el;
}

export function mount(el, ...kids) {
  el.replaceChildren(...kids.flat(9).filter((c) => c != null && c !== false));
}

// Labelled field with a slot for its error message (id + "-err"), cleared on edit.
export function field(label, input) {
  const id = input.id ||= 'f-' + input.name;
  const err = h('p', { class: 'field-error', id: id + '-err', hidden: true });
  input.setAttribute('aria-describedby', err.id);
  input.addEventListener('input', () => { input.removeAttribute('aria-invalid'); err.hidden = true; });
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, err);
}

export const formError = () => h('p', { class: 'form-error', role: 'alert', hidden: true });

// Client-side checks, thrown like an API error: [[field, ok, message], ...].
export function check(rules) {
  const fields = rules.filter((r) => !r[1]).map(([field, , message]) => ({ field, message }));
  if (fields.length) throw { fields };
}

// Form submit: busy button; thrown errors go next to their fields, the rest in the form's alert.
export function onSubmit(form, work) {
  const button = $('[type=submit]', form), alert = $('.form-error', form);
  form.addEventListener('input', () => { alert.hidden = true; });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    for (const el of form.querySelectorAll('.field-error, .form-error')) el.hidden = true;
    button.disabled = true;
    try {
      await work(Object.fromEntries(new FormData(form)));
    } catch (err) {
      let placed = 0;
      for (const f of err.fields || []) {
        const input = form.elements[String(f.field).split(/[.[]/)[0]];
        const slot = input && $('#' + input.id + '-err');
        if (!slot) continue;
        input.setAttribute('aria-invalid', 'true');
        slot.textContent = f.message;
        slot.hidden = false;
        placed++;
      }
      alert.textContent = placed && placed === err.fields.length ? 'Please correct the highlighted fields.' : err.message;
      alert.hidden = false;
      $('[aria-invalid]', form)?.focus();
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

export function announce(text) {
  const el = $('#announce');
  el.textContent = '';
  setTimeout(() => { el.textContent = text; }, 50);
}

// Modal confirm using the <dialog> in index.html; resolves true when confirmed.
export function confirmDialog(message) {
  const dlg = $('#confirm');
  $('#confirm-msg').textContent = message;
  dlg.showModal();
  $('#confirm-cancel').focus();
  return new Promise((resolve) => {
    const done = (ok) => () => { dlg.close(); resolve(ok); };
    $('#confirm-ok').onclick = done(true);
    $('#confirm-cancel').onclick = done(false);
    dlg.oncancel = done(false);
  });
}
