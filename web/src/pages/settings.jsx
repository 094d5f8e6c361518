// Settings: users (admins: roles, new passwords), one's own password, API tokens (one's own;
// admins see and make anyone's), wall screen links (admins), the configuration as a file
// (pages/configuration.jsx) and the audit log (admins), one tab each.
import { useState } from 'preact/hooks';
import { post, patch, qs } from '../api.js';
import { withBase } from '../base.js';
import { navigate } from '../router.js';
import { Time, useForm, Field, Page, cap } from '../ui.jsx';
import { can, useSession } from '../session.jsx';
import { useResourceList, ListPage, EditorForm } from '../components/resource_list.jsx';

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
        ['/settings/password', 'Password'],
        ['/settings/tokens', 'API tokens'],
        ['/settings/kiosk', 'Wall screens'],
        ['/settings/configuration', 'Configuration'],
        ['/settings/trap-users', 'SNMP trap users'],
        ['/settings/audit', 'Audit log'],
      ]
    : [
        ['/settings/password', 'Password'],
        ['/settings/tokens', 'API tokens'],
        ['/settings/configuration', 'Configuration'],
        ['/settings/trap-users', 'SNMP trap users'],
      ];
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

// A tab of the settings: a list page under the settings' tabs.
function SettingsPage({ here, ...page }) {
  const admin = useSession()?.role === 'admin';
  return <ListPage id="settings-title" nav={<SettingsNav here={here} admin={admin} />} {...page} />;
}

// A token's state in words.
export function tokenState(t, now = Date.now()) {
  if (t.revoked_at) return 'revoked';
  if (t.expires_at && Date.parse(t.expires_at) <= now) return 'expired';
  return 'active';
}

// The table of a list of tokens (API or enrolment): name and prefix, state, times, and a revoke
// button on the active ones; `before` and `after` are the kind's own columns around the state.
export function tokenTable({ list, path, what, consequence, className, empty, before = [], after = [] }) {
  const revoke = (t) =>
    list.remove(`${path}/${t.id}`, `Revoke the ${what} “${t.name}”? ${consequence}`, '', `Could not revoke ${t.name}`);
  return {
    class: className,
    columns: [
      {
        label: 'Token',
        cell: (t) => (
          <>
            {t.name} <code class="muted">{t.prefix}…</code>
          </>
        ),
      },
      ...before,
      { label: 'State', cell: (t) => tokenState(t) },
      ...after,
      { label: 'Created', cell: (t) => <Time at={t.created_at} /> },
      { label: 'Expires', cell: (t) => (t.expires_at ? new Date(t.expires_at).toLocaleDateString() : 'never') },
      { label: 'Last used', cell: (t) => <Time at={t.last_used_at} /> },
    ],
    empty,
    row: (t) => ({ 'data-token': t.id, class: tokenState(t) === 'active' ? '' : 'muted' }),
    actions: (t) =>
      tokenState(t) === 'active' && (
        <button type="button" class="danger" onClick={() => revoke(t)}>
          Revoke
        </button>
      ),
  };
}

export function Users() {
  const session = useSession();
  const list = useResourceList('/api/v1/users', { noun: 'users', all: true });
  const form = useForm({ name: '', role: 'viewer', password: '' });
  const work = async (v) => {
    const body = { name: v.name.trim(), role: v.role };
    if (v.password) body.password = v.password;
    const u = (await post('/api/v1/users', body)).data;
    form.setValues({ name: '', role: v.role, password: '' });
    list.setNotice(`User ${u.name} created.`);
    list.reload();
  };
  const columns = [
    {
      label: 'User',
      cell: (u) => (
        <>
          {u.name}
          {u.name === session.user && <span class="muted"> (you)</span>}
        </>
      ),
    },
    { label: 'Role', cell: (u) => <RoleSelect user={u} list={list} /> },
    { label: 'Created', cell: (u) => <Time at={u.created_at} /> },
  ];
  const remove = (u) =>
    list.remove(
      `/api/v1/users/${u.id}`,
      `Delete user “${u.name}” with their sessions and tokens?`,
      '',
      `Could not delete ${u.name}`,
    );
  return (
    <SettingsPage
      title="Users"
      here="/settings/users"
      list={list}
      table={{
        class: 'users',
        columns,
        empty: 'No users.',
        row: (u) => ({ 'data-user': u.name }),
        actions: (u) =>
          u.name !== session.user && (
            <button type="button" class="danger" onClick={() => remove(u)}>
              Delete
            </button>
          ),
      }}
    >
      <details class="add">
        <summary>Add user</summary>
        <EditorForm form={form} work={work} class="" role="admin" submit="Add user" onSubmit={() => list.setNotice('')}>
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
        </EditorForm>
      </details>
    </SettingsPage>
  );
}

// A user's role, changed as soon as another is picked (the server keeps the last admin).
function RoleSelect({ user, list }) {
  const [busy, setBusy] = useState(false);
  const change = async (role) => {
    setBusy(true);
    let failed = '';
    try {
      await patch(`/api/v1/users/${user.id}`, { role });
      list.setNotice(`The role of ${user.name} is now ${role}.`);
    } catch (err) {
      list.setNotice('');
      failed = `Could not change the role of ${user.name}: ${err.message}`;
    }
    // Read again either way: a refused change shows the role kept. The reading clears the
    // error, so it is said after.
    await list.reload();
    list.setError(failed);
    setBusy(false);
  };
  return (
    <select
      aria-label={`Role of ${user.name}`}
      value={user.role}
      disabled={busy}
      onChange={(e) => change(e.currentTarget.value)}
    >
      {ROLES.map((r) => (
        <option value={r}>{cap(r)}</option>
      ))}
    </select>
  );
}

// One's own password: the current one, then the new one twice. Other sessions end.
export function Password() {
  const session = useSession();
  const admin = session?.role === 'admin';
  const form = useForm({ current_password: '', new_password: '', confirm: '' });
  const [done, setDone] = useState(false);
  const work = async (v) => {
    setDone(false);
    if (v.new_password !== v.confirm)
      throw {
        message: 'The passwords differ.',
        fields: [{ field: 'confirm', message: 'is not the same as the new password' }],
      };
    await post('/api/v1/auth/password', { current_password: v.current_password, new_password: v.new_password });
    form.setValues({ current_password: '', new_password: '', confirm: '' });
    setDone(true);
  };
  return (
    <Page id="settings-title" title="Password" nav={<SettingsNav here="/settings/password" admin={admin} />}>
      <EditorForm form={form} work={work} class="card narrow" role="viewer" submit="Change password">
        <p class="muted">For {session?.user}. Your other sessions end; this one stays open.</p>
        <Field form={form} name="current_password" label="Current password">
          <input {...form.bind('current_password')} type="password" autocomplete="current-password" required />
        </Field>
        <Field form={form} name="new_password" label="New password" help="At least 8 characters.">
          <input {...form.bind('new_password')} type="password" autocomplete="new-password" required />
        </Field>
        <Field form={form} name="confirm" label="Confirm new password">
          <input {...form.bind('confirm')} type="password" autocomplete="new-password" required />
        </Field>
      </EditorForm>
      {done && (
        <p class="notice" role="status">
          Your password has been changed.
        </p>
      )}
    </Page>
  );
}

// Tokens are one's own: every role makes and revokes them; admins also see and make others'.
export function Tokens() {
  const session = useSession();
  const admin = can(session, 'admin');
  const list = useResourceList('/api/v1/tokens', { noun: 'tokens', all: true });
  const [created, setCreated] = useState(null);
  const form = useForm({ name: '', expires_in: '90d', user: '' });
  const work = async (v) => {
    const body = { name: v.name.trim() };
    if (v.expires_in.trim()) body.expires_in = v.expires_in.trim();
    if (admin && v.user.trim()) body.user = v.user.trim();
    setCreated((await post('/api/v1/tokens', body)).data);
    form.setValues({ name: '', expires_in: v.expires_in, user: '' });
    list.reload();
  };
  return (
    <SettingsPage
      title="API tokens"
      here="/settings/tokens"
      list={list}
      table={tokenTable({
        list,
        path: '/api/v1/tokens',
        what: 'token',
        consequence: 'Programs using it stop getting in.',
        className: 'tokens',
        empty: 'No tokens yet.',
        before: admin ? [{ label: 'User', cell: (t) => t.user }] : [],
      })}
    >
      <p class="muted">
        Programs send a token as <code>Authorization: Bearer …</code>; it acts with its user's role.
      </p>
      <details class="add" open={!list.items?.length}>
        <summary>New token</summary>
        <EditorForm
          form={form}
          work={work}
          class=""
          role="viewer"
          submit="Create token"
          onSubmit={() => setCreated(null)}
        >
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
        </EditorForm>
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
    </SettingsPage>
  );
}

// The address a kiosk link's token opens: the wall screen, with no login.
export const kioskUrl = (token) => `${location.origin}${withBase('/')}?kiosk=${encodeURIComponent(token)}`;

// Kiosk links (admins): read-only addresses of the wall screen for screens nobody logs in on.
export function KioskLinks() {
  const list = useResourceList('/api/v1/kiosk-links', { noun: 'wall screen links', all: true });
  const [created, setCreated] = useState(null);
  const form = useForm({ name: '' });
  const work = async (v) => {
    setCreated((await post('/api/v1/kiosk-links', { name: v.name.trim() })).data);
    form.setValues({ name: '' });
    list.reload();
  };
  const url = created && kioskUrl(created.token);
  return (
    <SettingsPage
      title="Wall screens"
      here="/settings/kiosk"
      list={list}
      table={tokenTable({
        list,
        path: '/api/v1/kiosk-links',
        what: 'wall screen link',
        consequence: 'Screens showing it stop at their next refresh.',
        className: 'tokens kiosk-links',
        empty: 'No wall screen links yet.',
        after: [{ label: 'Made by', cell: (t) => t.created_by }],
      })}
    >
      <p class="muted">
        A link opens the wall screen (node counts, problems, every node's recent runs) without a login, refreshed every
        10 seconds. It reads nothing else and changes nothing; revoke it when the screen is gone.
      </p>
      <details class="add" open={!list.items?.length}>
        <summary>New wall screen link</summary>
        <EditorForm
          form={form}
          work={work}
          class=""
          role="admin"
          submit="Create link"
          onSubmit={() => setCreated(null)}
        >
          <Field form={form} name="name" label="Name" help="Where the screen is, e.g. NOC wall.">
            <input {...form.bind('name')} autocomplete="off" required />
          </Field>
        </EditorForm>
      </details>
      {created && (
        <div class="notice token-once" role="status">
          <p>
            Link <strong>{created.name}</strong>. Copy it now: it is not shown again.
          </p>
          <p>
            <code id="new-kiosk-url">{url}</code>{' '}
            <button type="button" onClick={() => navigator.clipboard?.writeText(url)}>
              Copy
            </button>
          </p>
        </div>
      )}
    </SettingsPage>
  );
}

const AUDIT_COLUMNS = [
  {
    label: 'When',
    cell: (e) => (
      <time datetime={e.at} title={e.at}>
        {new Date(e.at).toLocaleString()}
      </time>
    ),
  },
  {
    label: 'Actor',
    cell: (e) => (
      <>
        {e.actor}
        <div class="muted small">{e.remote}</div>
      </>
    ),
  },
  { label: 'Action', cell: (e) => <code>{e.action}</code> },
  { label: 'Target', cell: (e) => e.target },
  {
    label: 'Details',
    props: { class: 'small' },
    cell: (e) => <code>{e.details && Object.keys(e.details).length ? JSON.stringify(e.details) : ''}</code>,
  },
];

// The audit log, newest first, a page at a time; filters by actor and action (`node.*` for
// a prefix) and the page live in the address.
export function Audit({ query }) {
  const actor = query.get('actor') || '';
  const action = query.get('action') || '';
  const page = Math.max(1, +query.get('page') || 1);
  const list = useResourceList('/api/v1/audit', {
    noun: 'audit log',
    numbered: true,
    perPage: 100,
    params: { actor, action, page },
  });
  const [filters, setFilters] = useState({ actor, action });
  const go = (p) => navigate('/settings/audit' + qs({ ...p, page: p.page > 1 ? p.page : undefined }));
  const paging = list.pagination;
  return (
    <SettingsPage
      title="Audit log"
      here="/settings/audit"
      list={list}
      table={{
        class: 'audit',
        columns: AUDIT_COLUMNS,
        empty: `No entries${actor || action ? ' match these filters' : ''}.`,
      }}
      after={
        paging &&
        (paging.has_prev || paging.has_next) && (
          <div class="actions left">
            <button type="button" disabled={!paging.has_prev} onClick={() => go({ actor, action, page: page - 1 })}>
              Newer
            </button>
            <span class="muted">
              Page {page} of {paging.total_pages}
            </span>
            <button type="button" disabled={!paging.has_next} onClick={() => go({ actor, action, page: page + 1 })}>
              Older
            </button>
          </div>
        )
      }
    >
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
    </SettingsPage>
  );
}
