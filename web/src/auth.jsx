// First-run setup and login. Both end with onDone(session), the login answer.
import { post } from './api.js';
import { useForm, Field, FormAlert } from './ui.jsx';

const text = { autocapitalize: 'off', spellcheck: false, required: true };
const login = async (username, password) => (await post('/api/v1/auth/login', { username, password })).data;

function requireFields(v, names) {
  const fields = names.filter((n) => !String(v[n] || '').trim()).map((field) => ({ field, message: 'Required.' }));
  if (fields.length) throw { fields, message: 'Please fill in every field.' };
}

export function Setup({ onDone }) {
  const form = useForm({ setup_code: '', username: '', password: '', confirm: '' });
  const work = async (v) => {
    requireFields(v, ['setup_code', 'username', 'password', 'confirm']);
    if (v.password !== v.confirm) throw { fields: [{ field: 'confirm', message: 'The passwords do not match.' }] };
    const username = v.username.trim();
    await post('/api/v1/setup', { setup_code: v.setup_code.trim(), username, password: v.password });
    onDone(await login(username, v.password));
  };
  return (
    <form class="card narrow" noValidate onSubmit={(e) => form.submit(e, work)}>
      <h1>Set up Telltale</h1>
      <p>
        Create the first administrator. The one-time setup code is printed in the server log, on the line containing{' '}
        <code>setup code:</code>.
      </p>
      <FormAlert form={form} />
      <Field form={form} name="setup_code" label="Setup code">
        <input {...form.bind('setup_code')} autocomplete="one-time-code" {...text} autoFocus />
      </Field>
      <Field form={form} name="username" label="Username">
        <input {...form.bind('username')} autocomplete="username" {...text} />
      </Field>
      <Field form={form} name="password" label="Password">
        <input {...form.bind('password')} type="password" autocomplete="new-password" required />
      </Field>
      <Field form={form} name="confirm" label="Confirm password">
        <input {...form.bind('confirm')} type="password" autocomplete="new-password" required />
      </Field>
      <button type="submit" class="primary" disabled={form.busy}>
        Create administrator
      </button>
    </form>
  );
}

export function Login({ onDone, notice }) {
  const form = useForm({ username: '', password: '' });
  const work = async (v) => {
    requireFields(v, ['username', 'password']);
    try {
      onDone(await login(v.username.trim(), v.password));
    } catch (err) {
      if (err.retryAfter) err.message += ` Try again in ${err.retryAfter} seconds.`;
      throw err;
    }
  };
  return (
    <form class="card narrow" noValidate onSubmit={(e) => form.submit(e, work)}>
      <h1>Log in</h1>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <FormAlert form={form} />
      <Field form={form} name="username" label="Username">
        <input {...form.bind('username')} autocomplete="username" {...text} autoFocus />
      </Field>
      <Field form={form} name="password" label="Password">
        <input {...form.bind('password')} type="password" autocomplete="current-password" required />
      </Field>
      <button type="submit" class="primary" disabled={form.busy}>
        Log in
      </button>
    </form>
  );
}
