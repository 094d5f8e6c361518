// Settings: users (admins), API tokens (one's own; admins see and make anyone's) and the
// audit log (admins), one tab each.
import { useEffect, useState } from 'preact/hooks';
import { get, post, del, qs } from '../api.js';
import { navigate } from '../router.js';
import { Time, useForm, Field, FormAlert, cap } from '../ui.jsx';

export const ROLES = ['admin', 'operator', 'viewer', 'api'];
const ROLE_HELP = {
  admin: 'everything, users included',
  operator: 'changes nodes, checks, rules and silences',
  viewer: 'reads',
  api: 'for programs: reads and pushes data',
};

export function SettingsNav({ here, admin }) {
  const tabs = admin
    ? [
        ['/settings/users', 'Users'],
        ['/settings/tokens', 'API tokens'],
        ['/settings/audit', 'Audit log'],
      ]
    : [['/settings/tokens', 'API tokens']];
  return (
    <nav class="seg tabs" aria-label="Settings">
      {tabs.map(([href, label]) => (
        <a class="button" href={href} aria-current={href === here ? 'page' : undefined}>
          {label}
        </a>
      ))}
    </nav>
  );
}

function Page({ title, here, session, children, actions }) {
  useEffect(() => {
    document.title = `${title} · Telltale`;
  }, [title]);
  return (
    <section aria-labelledby="settings-title">
      <div class="head">
        <h1 id="settings-title" tabIndex={-1}>
          {title}
        </h1>
        <SettingsNav here={here} admin={session.role === 'admin'} />
        <span class="spacer" />
        {actions}
      </div>
      {children}
    </section>
  );
}

// A token's state in words.
export function tokenState(t, now = Date.now()) {
  if (t.revoked_at) return 'revoked';
  if (t.expires_at && Date.parse(t.expires_at) <= now) return 'expired';
  return 'active';
}

export function Users({ session }) {
  const [list, setList] = useState(null);
  const [error, setError] = useState('');
  const form = useForm({ name: '', role: 'viewer', password: '' });
  const [notice, setNotice] = useState('');
  const load = () =>
    get('/api/v1/users' + qs({ per_page: 500 })).then(
      (r) => setList(r.data),
      (err) => setError(`Could not load the users: ${err.message}`),
    );
  useEffect(() => {
    load();
  }, []);
  const work = async (v) => {
    const body = { name: v.name.trim(), role: v.role };
    if (v.password) body.password = v.password;
    const u = (await post('/api/v1/users', body)).data;
    form.setValues({ name: '', role: v.role, password: '' });
    setNotice(`User ${u.name} created.`);
    load();
  };
  const remove = async (u) => {
    if (!confirm(`Delete user “${u.name}” with their sessions and tokens?`)) return;
    try {
      await del(`/api/v1/users/${u.id}`);
      load();
    } catch (err) {
      setError(`Could not delete ${u.name}: ${err.message}`);
    }
  };
  return (
    <Page title="Users" here="/settings/users" session={session}>
      <details class="add">
        <summary>Add user</summary>
        <form
          noValidate
          onSubmit={(e) => {
            setNotice('');
            form.submit(e, work);
          }}
        >
          <FormAlert form={form} />
          <div class="grid">
            <Field form={form} name="name" label="Username">
              <input {...form.bind('name')} autocomplete="off" autocapitalize="off" spellcheck={false} required />
            </Field>
            <Field form={form} name="role" label="Role" help={ROLE_HELP[form.values.role]}>
              <select {...form.bind('role')}>
                {ROLES.map((r) => (
                  <option value={r}>{cap(r)}</option>
                ))}
              </select>
            </Field>
            <Field
              form={form}
              name="password"
              label="Password"
              help="Not needed for the api role, which signs in with tokens."
            >
              <input {...form.bind('password')} type="password" autocomplete="new-password" />
            </Field>
          </div>
          <button type="submit" class="primary" disabled={form.busy}>
            Add user
          </button>
        </form>
      </details>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {list === null ? (
        <p class="loading">Loading…</p>
      ) : (
        <table class="users">
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Role</th>
              <th scope="col">Created</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((u) => (
              <tr key={u.id} data-user={u.name}>
                <td>
                  {u.name}
                  {u.name === session.user && <span class="muted"> (you)</span>}
                </td>
                <td>
                  <span class="role">{u.role}</span>
                </td>
                <td>
                  <Time at={u.created_at} />
                </td>
                <td>
                  {u.name !== session.user && (
                    <button type="button" class="danger" onClick={() => remove(u)}>
                      Delete
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Page>
  );
}

export function Tokens({ session }) {
  const admin = session.role === 'admin';
  const [list, setList] = useState(null);
  const [error, setError] = useState('');
  const [created, setCreated] = useState(null);
  const form = useForm({ name: '', expires_in: '90d', user: '' });
  const load = () =>
    get('/api/v1/tokens' + qs({ per_page: 500 })).then(
      (r) => setList(r.data),
      (err) => setError(`Could not load the tokens: ${err.message}`),
    );
  useEffect(() => {
    load();
  }, []);
  const work = async (v) => {
    const body = { name: v.name.trim() };
    if (v.expires_in.trim()) body.expires_in = v.expires_in.trim();
    if (admin && v.user.trim()) body.user = v.user.trim();
    setCreated((await post('/api/v1/tokens', body)).data);
    form.setValues({ name: '', expires_in: v.expires_in, user: '' });
    load();
  };
  const revoke = async (t) => {
    if (!confirm(`Revoke the token “${t.name}”? Programs using it stop getting in.`)) return;
    try {
      await del(`/api/v1/tokens/${t.id}`);
      load();
    } catch (err) {
      setError(`Could not revoke ${t.name}: ${err.message}`);
    }
  };
  return (
    <Page title="API tokens" here="/settings/tokens" session={session}>
      <p class="muted">
        Programs send a token as <code>Authorization: Bearer …</code>; it acts with its user's role.
      </p>
      <details class="add" open={!list?.length}>
        <summary>New token</summary>
        <form
          noValidate
          onSubmit={(e) => {
            setCreated(null);
            form.submit(e, work);
          }}
        >
          <FormAlert form={form} />
          <div class="grid">
            <Field form={form} name="name" label="Name" help="What uses it, e.g. grafana.">
              <input {...form.bind('name')} autocomplete="off" spellcheck={false} required />
            </Field>
            <Field form={form} name="expires_in" label="Expires in" help="A duration such as 90d or 12h; empty: never.">
              <input {...form.bind('expires_in')} autocomplete="off" />
            </Field>
            {admin && (
              <Field form={form} name="user" label="For user" help="Empty: yourself.">
                <input {...form.bind('user')} autocomplete="off" spellcheck={false} />
              </Field>
            )}
          </div>
          <button type="submit" class="primary" disabled={form.busy}>
            Create token
          </button>
        </form>
      </details>
      {created && (
        <div class="notice token-once" role="status">
          <p>
            Token <strong>{created.name}</strong> for {created.user}. Copy it now: it is not shown again.
          </p>
          <p>
            <code id="new-token">{created.token}</code>{' '}
            <button type="button" onClick={() => navigator.clipboard?.writeText(created.token)}>
              Copy
            </button>
          </p>
        </div>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {list === null ? (
        <p class="loading">Loading…</p>
      ) : list.length === 0 ? (
        <p>No tokens yet.</p>
      ) : (
        <table class="tokens">
          <thead>
            <tr>
              <th scope="col">Token</th>
              {admin && <th scope="col">User</th>}
              <th scope="col">State</th>
              <th scope="col">Created</th>
              <th scope="col">Expires</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((t) => {
              const state = tokenState(t);
              return (
                <tr key={t.id} data-token={t.id} class={state === 'active' ? '' : 'muted'}>
                  <td>
                    {t.name} <code class="muted">{t.prefix}…</code>
                  </td>
                  {admin && <td>{t.user}</td>}
                  <td>{state}</td>
                  <td>
                    <Time at={t.created_at} />
                  </td>
                  <td>{t.expires_at ? new Date(t.expires_at).toLocaleDateString() : 'never'}</td>
                  <td>
                    <Time at={t.last_used_at} />
                  </td>
                  <td>
                    {state === 'active' && (
                      <button type="button" class="danger" onClick={() => revoke(t)}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </Page>
  );
}

// The audit log, newest first, a page at a time; filters by actor and action (`node.*` for
// a prefix) live in the address.
export function Audit({ session, query }) {
  const actor = query.get('actor') || '',
    action = query.get('action') || '';
  const page = Math.max(1, +query.get('page') || 1);
  const [data, setData] = useState(null);
  const [error, setError] = useState('');
  const [filters, setFilters] = useState({ actor, action });
  useEffect(() => {
    setData(null);
    get('/api/v1/audit' + qs({ actor, action, page, per_page: 100 })).then(
      (r) => {
        setData(r);
        setError('');
      },
      (err) => setError(`Could not load the audit log: ${err.message}`),
    );
  }, [actor, action, page]);
  const go = (p) => navigate('/settings/audit' + qs({ ...p, page: p.page > 1 ? p.page : undefined }));
  return (
    <Page title="Audit log" here="/settings/audit" session={session}>
      <form
        class="filters audit-filters"
        onSubmit={(e) => {
          e.preventDefault();
          go({ ...filters, page: 1 });
        }}
      >
        <div class="field">
          <label for="au-actor">Actor</label>
          <input
            id="au-actor"
            value={filters.actor}
            onInput={(e) => setFilters({ ...filters, actor: e.currentTarget.value })}
            autocomplete="off"
            spellcheck={false}
          />
        </div>
        <div class="field">
          <label for="au-action">Action</label>
          <input
            id="au-action"
            value={filters.action}
            onInput={(e) => setFilters({ ...filters, action: e.currentTarget.value })}
            placeholder="node.*"
            autocomplete="off"
            spellcheck={false}
          />
        </div>
        <div class="field">
          <span class="label-gap" aria-hidden="true">
            &nbsp;
          </span>
          <button type="submit">Filter</button>
        </div>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {data === null ? (
        !error && <p class="loading">Loading…</p>
      ) : data.data.length === 0 ? (
        <p>No entries{actor || action ? ' match these filters' : ''}.</p>
      ) : (
        <table class="audit">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Actor</th>
              <th scope="col">Action</th>
              <th scope="col">Target</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {data.data.map((e) => (
              <tr key={e.id}>
                <td>
                  <time datetime={e.at} title={e.at}>
                    {new Date(e.at).toLocaleString()}
                  </time>
                </td>
                <td>
                  {e.actor}
                  <div class="muted small">{e.remote}</div>
                </td>
                <td>
                  <code>{e.action}</code>
                </td>
                <td>{e.target}</td>
                <td class="small">
                  <code>{e.details && Object.keys(e.details).length ? JSON.stringify(e.details) : ''}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {data?.pagination && (data.pagination.has_prev || data.pagination.has_next) && (
        <div class="actions left">
          <button
            type="button"
            disabled={!data.pagination.has_prev}
            onClick={() => go({ actor, action, page: page - 1 })}
          >
            Newer
          </button>
          <span class="muted">
            Page {page} of {data.pagination.total_pages}
          </span>
          <button
            type="button"
            disabled={!data.pagination.has_next}
            onClick={() => go({ actor, action, page: page + 1 })}
          >
            Older
          </button>
        </div>
      )}
    </Page>
  );
}
