// First-run setup and login forms. Both call onDone(session) with the login answer.
import { h, field, formError, onSubmit, check } from './dom.js';
import { post } from './api.js';

const text = { autocapitalize: 'off', spellcheck: 'false' };
const input = (name, label, attrs) => field(label, h('input', { name, required: true, ...attrs }));

const form = (title, intro, fields, submitLabel, work) => onSubmit(h('form', { class: 'card narrow', novalidate: true },
  h('h1', {}, title), intro, formError(), fields, h('button', { type: 'submit', class: 'primary' }, submitLabel)), work);

const login = async (username, password) => (await post('/api/v1/auth/login', { username, password })).data;

export const setupView = (onDone) => form('Set up Telltale',
  h('p', {}, 'Create the first administrator. The one-time setup code is printed in the server log, on the line containing ',
    h('code', {}, 'setup code:'), '.'),
  [input('setup_code', 'Setup code', { autocomplete: 'one-time-code', ...text }),
    input('username', 'Username', { autocomplete: 'username', ...text }),
    input('password', 'Password', { type: 'password', autocomplete: 'new-password' }),
    input('confirm', 'Confirm password', { type: 'password', autocomplete: 'new-password' })],
  'Create administrator',
  async (v) => {
    check([...['setup_code', 'username', 'password'].map((k) => [k, v[k].trim(), 'Required.']),
      ['confirm', v.password === v.confirm, 'The passwords do not match.']]);
    const username = v.username.trim();
    await post('/api/v1/setup', { setup_code: v.setup_code.trim(), username, password: v.password });
    onDone(await login(username, v.password));
  });

export const loginView = (onDone) => form('Log in', null,
  [input('username', 'Username', { autocomplete: 'username', ...text }),
    input('password', 'Password', { type: 'password', autocomplete: 'current-password' })],
  'Log in',
  async (v) => {
    try {
      onDone(await login(v.username.trim(), v.password));
    } catch (err) {
      if (err.retryAfter) err.message += ` Try again in ${err.retryAfter} seconds.`;
      throw err;
    }
  });
